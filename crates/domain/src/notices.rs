//! Notices to clients (NTF-02, NTF-03): which reminders there are, their templates per channel
//! with `{placeholders}`, and the checks a template must pass before staff may save it.

use std::collections::BTreeMap;

use crate::validation::FieldErrors;

/// A kind of notice, the values its templates may use, and a sample of each for the preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticeKind {
    pub code: &'static str,
    pub label: &'static str,
    /// When it goes out.
    pub when: &'static str,
    /// Queued by the daily reminders job (the others by the event that causes them).
    pub daily: bool,
    pub placeholders: &'static [(&'static str, &'static str, &'static str)],
}

const ACCOUNT: (&str, &str, &str) = ("account", "номер лицевого счёта", "100000017");
const AMOUNT: (&str, &str, &str) = ("amount", "сумма", "1 234,56 ₽");
const DUE: (&str, &str, &str) = ("due_date", "срок оплаты", "15.12.2026");
const PAY_BY: (&str, &str, &str) = ("due_date", "оплатить до", "21.12.2026");
const PERIOD: (&str, &str, &str) = ("period", "период", "ноябрь 2026");
const PHONE: (&str, &str, &str) = ("hotline", "телефоны горячей линии", "8-800-101-01-01");
const TITLE: (&str, &str, &str) = ("title", "заголовок объявления", "Новые часы работы центров");
const TEXT: (&str, &str, &str) = (
    "text",
    "текст объявления",
    "С 1 декабря центры обслуживания работают с 8:00 до 19:00.",
);
const URL: (&str, &str, &str) = (
    "url",
    "ссылка на объявление на сайте",
    "https://example.ru/info/news/12",
);
const WHEN: (&str, &str, &str) = ("when", "время отключения", "01.12.2026 09:00 — 17:00");
const PLACE: (&str, &str, &str) = ("place", "где", "г. Радужный");
const VISIT: (&str, &str, &str) = (
    "event",
    "что с выездом",
    "назначен на 19.03.2026, с 10:00 до 12:00.",
);
const ADDRESS: (&str, &str, &str) = (
    "address",
    "адрес выезда",
    "г. Радужный, мкр. 1, д. 43, кв. 12",
);

pub const KINDS: &[NoticeKind] = &[
    NoticeKind {
        code: "debt",
        label: "Задолженность",
        when: "ежедневно, пока после срока оплаты остаётся долг (не чаще раза за период)",
        daily: true,
        placeholders: &[ACCOUNT, AMOUNT, DUE, PERIOD, PHONE],
    },
    NoticeKind {
        code: "due_soon",
        label: "Приближается срок оплаты",
        when: "за 3 дня до срока оплаты, если счёт не оплачен",
        daily: true,
        placeholders: &[ACCOUNT, AMOUNT, DUE, PERIOD, PHONE],
    },
    NoticeKind {
        code: "readings",
        label: "Передайте показания",
        when: "с 20-го по 25-е число, если показаний за месяц ещё нет",
        daily: true,
        placeholders: &[ACCOUNT, PERIOD, PHONE],
    },
    NoticeKind {
        code: "tariff_change",
        label: "Изменение тарифа",
        when: "за 10 дней до месяца, с которого действует новый тариф категории счёта (раз на тариф)",
        daily: true,
        placeholders: &[ACCOUNT, PERIOD, PHONE],
    },
    NoticeKind {
        code: "restriction_warning",
        label: "Предупреждение об ограничении",
        when: "когда расчёт открывает дело об ограничении (долг больше двух месячных начислений по нормативу); доставка записывается в деле",
        daily: false,
        placeholders: &[ACCOUNT, AMOUNT, PAY_BY, PERIOD, PHONE],
    },
    NoticeKind {
        code: "news",
        label: "Новость, изменение тарифов и правил",
        when: "когда объявление публикуется с рассылкой — всем клиентам или клиентам района",
        daily: false,
        placeholders: &[TITLE, TEXT, URL, PLACE, PHONE],
    },
    NoticeKind {
        code: "outage",
        label: "Отключение электроэнергии",
        when: "когда публикуется объявление об отключении с рассылкой — клиентам района",
        daily: false,
        placeholders: &[TITLE, TEXT, WHEN, URL, PLACE, PHONE],
    },
    NoticeKind {
        code: "home_visit",
        label: "Выезд специалиста на дом",
        when: "когда выезд на дом назначают, переносят или отменяют (п. 6.1.3 стандарта)",
        daily: false,
        placeholders: &[ACCOUNT, VISIT, ADDRESS, PHONE],
    },
];

/// The channels a notice goes by.
pub const CHANNELS: &[(&str, &str)] = &[
    ("email", "Электронная почта"),
    ("sms", "СМС"),
    ("portal", "Личный кабинет"),
];

/// Longest SMS text (ten 67-character Cyrillic parts).
pub const SMS_MAX_CHARS: usize = 670;

pub fn kind(code: &str) -> Option<&'static NoticeKind> {
    KINDS.iter().find(|k| k.code == code)
}

/// The names in `{…}` of a template, in order.
fn names(template: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            return Err("Незакрытая фигурная скобка: подстановки пишутся как {account}.".into());
        };
        out.push(&after[..end]);
        rest = &after[end + 1..];
    }
    if rest.contains('}') {
        return Err("Лишняя закрывающая скобка «}».".into());
    }
    Ok(out)
}

/// Fills `{name}` from `values`; unknown names stay as they are.
pub fn render(template: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match values.get(name) {
                    Some(v) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The sample values of a kind, for the preview.
pub fn samples(k: &NoticeKind) -> BTreeMap<String, String> {
    k.placeholders
        .iter()
        .map(|(n, _, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

/// Checks a template before it is saved: known kind and channel, a subject for e-mail, a body,
/// only the placeholders of the kind, and an SMS that fits ten parts with sample values.
pub fn validate_template(
    kind_code: &str,
    channel: &str,
    subject: &str,
    body: &str,
) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::new();
    let Some(k) = kind(kind_code) else {
        return Err(FieldErrors::single("kind", "Такого уведомления нет."));
    };
    if !CHANNELS.iter().any(|(c, _)| *c == channel) {
        return Err(FieldErrors::single("channel", "Такого канала нет."));
    }
    if channel == "email" && subject.trim().is_empty() {
        e.add("subject", "Укажите тему письма.");
    }
    if subject.chars().count() > 200 {
        e.add("subject", "Тема — не длиннее 200 символов.");
    }
    if body.trim().is_empty() {
        e.add("body", "Текст уведомления не может быть пустым.");
    }
    if body.chars().count() > 5000 {
        e.add("body", "Текст — не длиннее 5000 символов.");
    }
    for (field, text) in [("subject", subject), ("body", body)] {
        match names(text) {
            Err(msg) => e.add(field, msg),
            Ok(found) => {
                let unknown: Vec<&str> = found
                    .into_iter()
                    .filter(|n| !k.placeholders.iter().any(|(p, _, _)| p == n))
                    .collect();
                if !unknown.is_empty() {
                    e.add(
                        field,
                        format!(
                            "Неизвестные подстановки: {}. Можно: {}.",
                            unknown
                                .iter()
                                .map(|n| format!("{{{n}}}"))
                                .collect::<Vec<_>>()
                                .join(", "),
                            k.placeholders
                                .iter()
                                .map(|(n, l, _)| format!("{{{n}}} — {l}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
        }
    }
    if channel == "sms" && render(body, &samples(k)).chars().count() > SMS_MAX_CHARS {
        e.add(
            "body",
            format!("СМС — не длиннее {SMS_MAX_CHARS} символов вместе с подстановками."),
        );
    }
    e.into_result(())
}

/// The templates shipped with the product (staff edit them).
pub fn default_template(kind_code: &str, channel: &str) -> (&'static str, &'static str) {
    match (kind_code, channel) {
        ("debt", "sms") => (
            "",
            "Долг по л/с {account}: {amount}. Оплатите, пожалуйста. Тел. {hotline}",
        ),
        ("debt", _) => (
            "Задолженность по лицевому счёту {account}",
            "Здравствуйте!\n\nПо лицевому счёту {account} срок оплаты за {period} прошёл \
             ({due_date}), задолженность — {amount}. Пожалуйста, оплатите её: при долге больше двух \
             месяцев начислений по нормативу предоставление электроэнергии может быть ограничено \
             (ПП РФ № 354, раздел XI). Если вы уже оплатили, не обращайте внимания на это \
             сообщение.\n\nГорячая линия: {hotline}",
        ),
        ("due_soon", "sms") => (
            "",
            "Л/с {account}: оплатите {amount} до {due_date}. Тел. {hotline}",
        ),
        ("due_soon", _) => (
            "Срок оплаты по лицевому счёту {account} — {due_date}",
            "Здравствуйте!\n\nНапоминаем: счёт за {period} по лицевому счёту {account} на сумму \
             {amount} нужно оплатить до {due_date}. Если вы уже оплатили, не обращайте внимания на \
             это сообщение.\n\nГорячая линия: {hotline}",
        ),
        ("restriction_warning", "sms") => (
            "",
            "Предупреждение: долг по л/с {account} {amount}. Оплатите до {due_date}, иначе подача электроэнергии будет ограничена. Тел. {hotline}",
        ),
        ("restriction_warning", _) => (
            "Предупреждение об ограничении подачи электроэнергии, л/с {account}",
            "Здравствуйте!\n\nЗадолженность по лицевому счёту {account} — {amount} — превышает сумму \
             двух месячных начислений по нормативу. Если её не погасить до {due_date} включительно, \
             предоставление электроэнергии будет ограничено, а затем приостановлено (ПП РФ № 354, \
             пп. 117–119). Если вы уже оплатили, сообщите нам.\n\nГорячая линия: {hotline}",
        ),
        ("tariff_change", "sms") => (
            "",
            "С периода «{period}» меняется тариф на электроэнергию по л/с {account}. Тарифы — на сайте и в личном кабинете. Тел. {hotline}",
        ),
        ("tariff_change", _) => (
            "Новый тариф на электроэнергию с периода «{period}»",
            "Здравствуйте!\n\nС расчётного периода «{period}» для лицевого счёта {account} \
             действует новый тариф на электроэнергию, установленный регулятором. Тарифы и \
             интервалы тарифных зон суток — на сайте в разделе «Тарифы» и в личном кабинете.\n\n\
             Горячая линия: {hotline}",
        ),
        ("news", "sms") => ("", "{title}. Подробнее: {url}"),
        ("news", _) => (
            "{title}",
            "Здравствуйте!\n\n{text}\n\nОбъявление на сайте: {url}\nГорячая линия: {hotline}",
        ),
        ("outage", "sms") => (
            "",
            "Отключение электроэнергии {when}, {place}. Подробнее: {url}",
        ),
        ("outage", _) => (
            "Отключение электроэнергии {when}",
            "Здравствуйте!\n\n{title}: {place}, {when}.\n\n{text}\n\nОбъявление на сайте: {url}\n\
             Горячая линия: {hotline}",
        ),
        ("home_visit", "sms") => (
            "",
            "Выезд специалиста по л/с {account} {event} Тел. {hotline}",
        ),
        ("home_visit", _) => (
            "Выезд специалиста на дом, л/с {account}",
            "Здравствуйте!\n\nВыезд нашего специалиста по адресу {address} (лицевой счёт {account}) \
             {event}\n\nЕсли время не подходит, позвоните нам: {hotline}",
        ),
        ("readings", "sms") => (
            "",
            "Передайте показания по л/с {account} до 25-го числа в личном кабинете. Тел. {hotline}",
        ),
        _ => (
            "Передайте показания по лицевому счёту {account}",
            "Здравствуйте!\n\nПоказаний прибора учёта по лицевому счёту {account} за {period} пока \
             нет. Передайте их до 25-го числа в личном кабинете или по телефону {hotline}: без \
             показаний начисление будет по среднему, а затем по нормативу (ПП РФ № 354, пп. 59, \
             60).",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_known_values_and_keep_the_rest() {
        let mut v = BTreeMap::new();
        v.insert("account".to_owned(), "100000017".to_owned());
        assert_eq!(
            render("Л/с {account}: {amount}", &v),
            "Л/с 100000017: {amount}"
        );
        assert_eq!(render("без скобок", &v), "без скобок");
        assert_eq!(render("хвост {acc", &v), "хвост {acc");
    }

    #[test]
    fn a_template_is_checked_before_saving() {
        assert!(validate_template("debt", "email", "Долг {account}", "Сумма {amount}").is_ok());
        let e = validate_template("debt", "email", "", "Сумма {summa} {account").unwrap_err();
        assert!(e.get("subject").is_some());
        let body = e.get("body").unwrap();
        assert!(body.contains("скобк"), "{body}");
        let e = validate_template("readings", "portal", "", "Долг {amount}").unwrap_err();
        assert!(e.get("body").unwrap().contains("{amount}"));
        assert!(validate_template("readings", "sms", "", &"я".repeat(700)).is_err());
        assert!(validate_template("nonsense", "sms", "", "x").is_err());
        assert!(validate_template("debt", "fax", "", "x").is_err());
        // Every shipped template passes its own checks.
        for k in KINDS {
            for (c, _) in CHANNELS {
                let (s, b) = default_template(k.code, c);
                assert!(validate_template(k.code, c, s, b).is_ok(), "{} {c}", k.code);
            }
        }
    }
}
