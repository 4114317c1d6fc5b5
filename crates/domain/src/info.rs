//! The public section «Клиентам» (PRT-01): every subsection of §8.1.2 and the items of §5.2.2 of
//! the standard. Pages that data can produce are generated from it; the others are Markdown
//! edited by staff, shipped with a first text to adapt.

/// Where a subsection's content comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Generated from the data at this address.
    Generated(&'static str),
    /// Edited by staff; the shipped first text.
    Edited(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Subsection {
    pub slug: &'static str,
    pub title: &'static str,
    /// The item of the standard it answers.
    pub clause: &'static str,
    pub source: Source,
}

pub const SUBSECTIONS: &[Subsection] = &[
    Subsection {
        slug: "offices",
        title: "Центры обслуживания, адреса, телефоны и часы работы",
        clause: "§8.1.2: подразделения, режим работы",
        source: Source::Generated("/info/offices"),
    },
    Subsection {
        slug: "standards",
        title: "Стандарты качества обслуживания",
        clause: "§8.1.2: стандарты",
        source: Source::Edited(
            "Компания обслуживает клиентов по стандарту качества обслуживания потребителей.\n\n\
             Главное из него:\n\n\
             - на письменное обращение отвечаем в течение **15 календарных дней** со дня регистрации;\n\
             - если для ответа нужна проверка, срок может быть продлён не более чем на 15 дней — \
             мы заранее сообщим об этом;\n\
             - обращение можно подать лично, по телефону, почтой, по электронной почте и через \
             [интернет-приёмную](/reception);\n\
             - на каждое обращение вы получаете регистрационный номер и ответ тем способом, \
             который выбрали.\n\n\
             [Полный текст стандарта](/info/page/standard) с его редакциями.\n",
        ),
    },
    Subsection {
        slug: "standard",
        title: "Стандарт качества обслуживания потребителей (полный текст)",
        clause: "§5.2.2: действующий Стандарт качества обслуживания и изменения к нему",
        // The standard as approved on 11 September 2025; a new edition is published over it and
        // the earlier ones stay readable under «Редакции».
        source: Source::Edited(include_str!("standard.md")),
    },
    Subsection {
        slug: "readings",
        title: "Как передать показания",
        clause: "§8.1.2: передача показаний, порядок снятия показаний",
        source: Source::Edited(
            "Показания принимаются **с 20-го по 25-е число** каждого месяца.\n\n\
             Способы:\n\n\
             - [без регистрации](/readings) — по номеру лицевого счёта и последним цифрам номера \
             прибора;\n\
             - в [личном кабинете](/my);\n\
             - по телефону горячей линии или в центре обслуживания.\n\n\
             Снимайте все цифры до запятой; у двух- и трёхтарифного прибора — показания каждой \
             зоны. Показания, переданные после 25-го, учитываются в следующем месяце.\n",
        ),
    },
    Subsection {
        slug: "requisites",
        title: "Реквизиты для оплаты",
        clause: "§8.1.2: платёжные реквизиты",
        source: Source::Generated("/info/requisites"),
    },
    Subsection {
        slug: "ways-to-pay",
        title: "Способы оплаты и пункты оплаты",
        clause: "§8.1.2: способы оплаты, пункты оплаты",
        source: Source::Edited(
            "Оплатить счёт можно:\n\n\
             - в кассе центра обслуживания (без комиссии);\n\
             - в мобильном приложении банка — по QR-коду из счёта;\n\
             - в отделениях и банкоматах банков-партнёров — адреса и часы работы на странице \
             [«Пункты приёма платежей»](/info/payment-points).\n\n\
             Срок оплаты — до 15-го числа месяца, следующего за расчётным (ЖК РФ ст. 155).\n",
        ),
    },
    Subsection {
        slug: "payment-points",
        title: "Пункты приёма платежей и часы их работы",
        clause: "§5.2.2: пункты приёма платежей, включая график обслуживания в офисах компании",
        source: Source::Generated("/info/payment-points"),
    },
    Subsection {
        slug: "tariffs",
        title: "Тарифы и интервалы тарифных зон суток",
        clause: "§8.1.2: тарифы, интервалы тарифных зон",
        source: Source::Generated("/tariffs"),
    },
    Subsection {
        slug: "norms",
        title: "Нормативы потребления",
        clause: "§8.1.2: нормативы потребления",
        source: Source::Generated("/tariffs#norms"),
    },
    Subsection {
        slug: "contract",
        title: "Договор энергоснабжения и документы для его заключения",
        clause: "§8.1.2: договор, документы для заключения договора",
        source: Source::Edited(
            "Договор энергоснабжения с гражданином считается заключённым с первой оплаты. \
             Чтобы оформить его письменно, принесите в центр обслуживания:\n\n\
             1. паспорт;\n\
             2. документ о праве собственности (или пользования) на помещение;\n\
             3. сведения о приборе учёта (номер, показания, дата поверки);\n\
             4. сведения о количестве проживающих.\n",
        ),
    },
    Subsection {
        slug: "restriction",
        title: "Порядок ограничения и приостановления подачи электроэнергии",
        clause: "§8.1.2, §5.2.2: порядок и последствия ограничения",
        source: Source::Edited(
            "Если задолженность превышает сумму двух месячных начислений по нормативу, мы \
             направляем предупреждение: погасить долг нужно в течение **20 дней**. Если долг не \
             погашен, подача электроэнергии ограничивается, затем приостанавливается \
             (ПП РФ № 354, пп. 117–119). Подача возобновляется после погашения долга.\n",
        ),
    },
    Subsection {
        slug: "meters",
        title: "Приборы учёта: установка, поверка, неисправность",
        clause: "§8.1.2: установка приборов учёта, последствия неисправности и отсутствия",
        source: Source::Edited(
            "Без показаний начисление ведётся по среднемесячному объёму не более трёх месяцев, \
             затем — по нормативу (ПП РФ № 354, пп. 59, 60). Если прибора нет, хотя его можно \
             установить, норматив умножается на 1,5. Сообщите нам о неисправности прибора или \
             истечении срока поверки — по телефону или в центре обслуживания.\n",
        ),
    },
    Subsection {
        slug: "payment-rules",
        title: "Порядок оплаты и пени",
        clause: "§8.1.2: порядок оплаты",
        source: Source::Edited(
            "Счёт оплачивается до 15-го числа следующего месяца. При просрочке начисляются пени: \
             с 31-го по 90-й день — 1/300 ключевой ставки, с 91-го дня — 1/130 (ЖК РФ ст. 155 \
             ч. 14).\n",
        ),
    },
    Subsection {
        slug: "regulations",
        title: "Нормативные документы",
        clause: "§8.1.2: нормативные документы",
        source: Source::Edited(
            "- Жилищный кодекс РФ, ст. 153–155;\n\
             - Правила предоставления коммунальных услуг (ПП РФ от 06.05.2011 № 354);\n\
             - ГОСТ Р 56042-2014 (QR-код для оплаты).\n",
        ),
    },
    Subsection {
        slug: "specialists",
        title: "Кто ведёт приём клиентов и в какие часы",
        clause: "PRT-01, §6.2: специалисты, ведущие приём, и часы приёма",
        source: Source::Edited(
            "Приём клиентов ведут:\n\n\
             | Кто | Какие вопросы | Часы приёма |\n\
             |---|---|---|\n\
             | Техники центров обслуживания | расчёты, оплата, показания, приборы учёта, договор | \
             в часы работы центра |\n\
             | Начальник отдела по продаже электроэнергии населению | спорные начисления, \
             перерасчёты, жалобы на обслуживание | вторник, четверг 14:00–17:00 |\n\
             | Руководитель отделения | вопросы, не решённые специалистами; претензии | \
             среда 14:00–17:00 |\n\n\
             Адреса и часы работы центров — на странице [«Центры обслуживания»](/info/offices). \
             Часы приёма руководителей — образец: уточните их и исправьте эту страницу.\n",
        ),
    },
    Subsection {
        slug: "competences",
        title: "Кто решает какие вопросы",
        clause: "CHN-07, §6.2.3.3, §6.3.3: должностные лица и их компетенции",
        source: Source::Generated("/info/competences"),
    },
    Subsection {
        slug: "document-samples",
        title: "Образцы заявлений",
        clause: "PRT-01, §5.2.2: образцы документов",
        source: Source::Edited(
            "Заявление можно написать в свободной форме; образцы помогают ничего не забыть.\n\n\
             ### Заявление о перерасчёте\n\n\
             > Генеральному директору АО «…»\n\
             > от Фамилия Имя Отчество, лицевой счёт № __________,\n\
             > адрес: ____________________, телефон: __________\n\
             >\n\
             > Прошу выполнить перерасчёт платы за электроэнергию за период с ______ по ______ \
             в связи с __________________ (указать причину). Прилагаю: __________.\n\
             >\n\
             > Дата, подпись\n\n\
             ### Заявление о заключении договора энергоснабжения в письменной форме\n\n\
             > Прошу заключить со мной договор энергоснабжения жилого помещения по адресу \
             ____________________. Прилагаю документы по перечню на странице \
             [«Договор энергоснабжения»](/info/page/contract).\n\n\
             ### Заявление о вводе прибора учёта в эксплуатацию\n\n\
             > Прошу ввести в эксплуатацию прибор учёта № __________, установленный ______ \
             по адресу ____________________.\n\n\
             Подать заявление можно в центре обслуживания, почтой или \
             [через интернет-приёмную](/reception).\n",
        ),
    },
    Subsection {
        slug: "appeal-decision",
        title: "Как обжаловать решение компании",
        clause: "PRT-01, §10.5.2: порядок обжалования",
        source: Source::Edited(
            "Если вы не согласны с ответом на обращение или с решением компании:\n\n\
             1. Подайте **жалобу** руководителю отделения или генеральному директору — лично, \
             почтой или [через интернет-приёмную](/reception); укажите номер обращения и с чем \
             не согласны. Ответ — не позднее 15 дней со дня регистрации.\n\
             2. Спор о начислениях можно направить **претензией**: её рассматривает руководство \
             компании в тот же срок.\n\
             3. Вы вправе обратиться в Государственную жилищную инспекцию, в Роспотребнадзор, \
             в органы прокуратуры или в суд.\n\n\
             Статус своего обращения можно проверить на странице \
             [«Статус обращения»](/reception/status).\n",
        ),
    },
    Subsection {
        slug: "contract-types",
        title: "Типовые договоры по категориям клиентов",
        clause: "PRT-01, §5.2.2: типовые формы договоров",
        source: Source::Edited(
            "- **Граждане — собственники и наниматели жилых помещений в многоквартирных домах:** \
             договор энергоснабжения жилого помещения (коммунальная услуга по электроснабжению).\n\
             - **Граждане — собственники жилых домов (домовладений):** договор энергоснабжения \
             жилого дома, в том числе с учётом хозяйственных построек.\n\
             - **Садоводческие и огороднические товарищества, гаражные кооперативы:** договор \
             энергоснабжения с товариществом.\n\n\
             Тексты типовых договоров выдаются в центрах обслуживания; что принести для \
             заключения — на странице [«Договор энергоснабжения»](/info/page/contract).\n",
        ),
    },
    Subsection {
        slug: "faq",
        title: "Вопросы и ответы",
        clause: "§8.1.2: часто задаваемые вопросы",
        source: Source::Edited(
            "**Как узнать номер лицевого счёта?** Он напечатан в счёте, в первой строке.\n\n\
             **Как открыть личный кабинет?** [Зарегистрируйтесь](/my/signup) с номером лицевого \
             счёта и кодом из счёта.\n",
        ),
    },
];

/// What a page added by staff (besides the shipped subsections) answers to.
pub const ADDED_PAGE_CLAUSE: &str = "PRT-01: страница, добавленная сотрудниками";

/// A new page's address and title as typed: the address 2–40 lowercase Latin letters, digits
/// and hyphens, not one of the shipped subsections; the title 1–200 characters.
pub fn check_new_page(
    slug: &str,
    title: &str,
) -> Result<(String, String), crate::validation::FieldErrors> {
    let mut e = crate::validation::FieldErrors::new();
    let slug = slug.trim().to_lowercase();
    let title = title.trim().to_owned();
    let well_formed = (2..=40).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if !well_formed {
        e.add(
            "slug",
            "Адрес страницы — от 2 до 40 латинских строчных букв, цифр и дефисов, например «vyvoz-schetchikov».",
        );
    } else if subsection(&slug).is_some() {
        e.add(
            "slug",
            "Такая страница уже есть в разделе: выберите другой адрес.",
        );
    }
    if title.is_empty() || title.chars().count() > 200 {
        e.add("title", "Укажите заголовок (до 200 символов).");
    }
    e.into_result((slug, title))
}

pub fn subsection(slug: &str) -> Option<&'static Subsection> {
    SUBSECTIONS.iter().find(|s| s.slug == slug)
}

/// Kinds of payment points (§5.2.2 «Пункты приёма платежей»), besides the cash desks of the
/// service centres, which the page takes from the centres.
pub const PAYMENT_POINT_KINDS: &[(&str, &str)] = &[
    ("bank", "Отделения банков"),
    ("post", "Отделения почтовой связи"),
    ("agent", "Пункты приёма платежей"),
    ("terminal", "Платёжные терминалы"),
    ("online", "Без комиссии через интернет и приложения"),
];

/// The Russian label of a payment point's kind.
pub fn payment_point_kind_label(code: &str) -> Option<&'static str> {
    PAYMENT_POINT_KINDS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
}

/// A payment point as typed by staff.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PaymentPointDraft {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    /// Where: an address, or for `online` the site or application.
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub hours: String,
    /// The fee, as told to clients («без комиссии», «1 %, не менее 30 ₽»).
    #[serde(default)]
    pub fee: String,
}

/// A checked payment point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentPointData {
    pub kind: String,
    pub name: String,
    pub address: String,
    pub hours: String,
    pub fee: String,
}

impl PaymentPointDraft {
    pub fn validate(&self) -> Result<PaymentPointData, crate::validation::FieldErrors> {
        let mut e = crate::validation::FieldErrors::new();
        let kind = self.kind.trim();
        if payment_point_kind_label(kind).is_none() {
            e.add("kind", "Выберите вид пункта из списка.");
        }
        let field = |e: &mut crate::validation::FieldErrors,
                     name: &str,
                     value: &str,
                     required: bool,
                     what: &str| {
            let v = value.trim();
            if required && v.is_empty() {
                e.add(name, format!("Укажите {what}."));
            } else if v.chars().count() > 300 {
                e.add(name, "Не длиннее 300 символов.");
            }
            v.to_owned()
        };
        let name = field(&mut e, "name", &self.name, true, "название");
        let address = field(
            &mut e,
            "address",
            &self.address,
            true,
            "адрес (для оплаты через интернет — сайт или приложение)",
        );
        let hours = field(
            &mut e,
            "hours",
            &self.hours,
            kind != "online",
            "часы работы",
        );
        let fee = field(
            &mut e,
            "fee",
            &self.fee,
            true,
            "комиссию (например «без комиссии»)",
        );
        e.into_result(PaymentPointData {
            kind: kind.to_owned(),
            name,
            address,
            hours,
            fee,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_point_needs_its_kind_name_place_hours_and_fee() {
        let e = PaymentPointDraft::default().validate().unwrap_err();
        for f in ["kind", "name", "address", "hours", "fee"] {
            assert!(e.get(f).is_some(), "{f}");
        }
        let ok = PaymentPointDraft {
            kind: "online".into(),
            name: " Сбербанк Онлайн ".into(),
            address: "приложение банка, раздел «ЖКУ»".into(),
            hours: String::new(),
            fee: "без комиссии".into(),
        }
        .validate()
        .unwrap();
        assert_eq!(
            ok.name, "Сбербанк Онлайн",
            "trimmed; hours not needed online"
        );
        assert!(SUBSECTIONS.iter().any(|s| s.slug == "payment-points"));
    }

    #[test]
    fn a_new_page_needs_a_plain_address_of_its_own_and_a_title() {
        assert_eq!(
            check_new_page(" Holiday-Hours ", " Часы работы в праздники ").unwrap(),
            ("holiday-hours".into(), "Часы работы в праздники".into())
        );
        for bad in ["a", "-x", "x-", "страница", "two words", "faq"] {
            assert!(
                check_new_page(bad, "Т").unwrap_err().get("slug").is_some(),
                "{bad}"
            );
        }
        assert!(check_new_page("ok-page", " ")
            .unwrap_err()
            .get("title")
            .is_some());
    }

    #[test]
    fn what_prt_01_still_asked_to_publish_is_in_the_section() {
        for slug in [
            "specialists",
            "document-samples",
            "appeal-decision",
            "contract-types",
        ] {
            let s = subsection(slug).unwrap_or_else(|| panic!("{slug}"));
            assert!(
                matches!(s.source, Source::Edited(t) if t.len() > 200),
                "{slug}"
            );
        }
    }
}
