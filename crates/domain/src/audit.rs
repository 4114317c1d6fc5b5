//! The words of the audit log (ORG-05) as a person reads them: every action code the system
//! writes has a Russian label; a code without one is shown as it is.

/// Action codes and their labels. `every_audited_action_has_a_label` checks that each code
/// written anywhere in the workspace is here.
const ACTIONS: &[(&str, &str)] = &[
    ("access.denied", "Отказ в доступе"),
    ("account.create", "Открытие лицевого счёта"),
    ("appeal.attachment", "Просмотр вложения обращения"),
    (
        "appeal.new_for_client",
        "Регистрация обращения из карточки клиента",
    ),
    ("appeal.view", "Просмотр обращения"),
    (
        "appeal_norms.update",
        "Изменение норм рассмотрения обращений",
    ),
    ("appeal_topic.save", "Изменение тематики обращений"),
    ("audit.view", "Просмотр журнала доступа"),
    ("balance.view", "Просмотр баланса лицевого счёта"),
    ("billing.announcement", "Объявление в счетах периода"),
    (
        "billing.announcement_removed",
        "Снятие объявления в счетах периода",
    ),
    ("billing.settings", "Изменение условий расчётов"),
    ("billing.view", "Просмотр расчётов лицевого счёта"),
    ("branch.save", "Изменение отделения"),
    ("calendar.save", "Изменение производственного календаря"),
    ("centre.save", "Изменение центра обслуживания"),
    ("client.channel", "Изменение способа связи с клиентом"),
    ("client.create", "Регистрация клиента"),
    ("client.export", "Выгрузка данных клиента"),
    ("client.search", "Поиск клиентов"),
    ("client.update", "Изменение данных клиента"),
    ("client.view", "Просмотр карточки клиента"),
    ("company.save", "Изменение реквизитов организации"),
    ("competence.delete", "Удаление из справочника компетенций"),
    ("competence.move", "Порядок справочника компетенций"),
    ("competence.save", "Изменение справочника компетенций"),
    ("contract.apply", "Заявление на договор"),
    ("contract.conclude", "Заключение договора"),
    ("contract.file", "Просмотр документа к договору"),
    ("contract.refuse", "Отказ в заключении договора"),
    ("contract.view", "Просмотр заявления на договор"),
    ("home_visit.cancel", "Отмена выезда на дом"),
    ("home_visit.request", "Заявка на выезд на дом"),
    ("home_visit.result", "Результат выезда на дом"),
    ("home_visit.schedule", "Назначение выезда на дом"),
    (
        "home_visit.settings",
        "Изменение нормы назначения выездов на дом",
    ),
    ("home_visit.view", "Просмотр выезда на дом"),
    ("incident.record", "Запись инцидента"),
    ("incident.view", "Просмотр инцидента"),
    ("info.draft", "Черновик страницы «Клиентам»"),
    ("info.create", "Новая страница «Клиентам»"),
    ("info.publish", "Публикация страницы «Клиентам»"),
    ("invoice.pdf", "Выгрузка счёта в PDF"),
    ("invoice.print_batch", "Пакетная печать счетов"),
    ("invoice.view", "Просмотр счёта"),
    ("login.failure", "Неудачный вход"),
    ("login.success", "Вход в систему"),
    ("login.throttled", "Вход временно заблокирован"),
    ("mail.handled", "Разбор нераспознанного письма"),
    ("mail.view", "Просмотр нераспознанного письма"),
    ("meter.create", "Регистрация прибора учёта"),
    ("meter.state", "Изменение состояния прибора учёта"),
    ("news.publish", "Публикация новости"),
    ("news.withdraw", "Снятие новости с публикации"),
    ("norms.save", "Изменение нормативов потребления"),
    ("notice_template.save", "Изменение шаблона уведомления"),
    ("outbox.queue", "Постановка сообщения в очередь отправки"),
    ("password.change", "Смена пароля"),
    ("payment.cashier", "Приём платежа в кассе"),
    ("payment_point.save", "Изменение пункта приёма платежей"),
    (
        "payment_point.withdraw",
        "Снятие пункта приёма платежей с публикации",
    ),
    ("payments.import", "Загрузка реестра платежей"),
    ("payments.reject", "Отклонение платежа из реестра"),
    ("payments.resolve", "Зачисление нераспознанного платежа"),
    ("portal.appeals", "Личный кабинет: просмотр обращений"),
    ("portal.confirm", "Личный кабинет: подтверждение адреса"),
    (
        "portal.confirm_phone",
        "Личный кабинет: подтверждение телефона",
    ),
    ("portal.denied", "Личный кабинет: отказ в доступе"),
    ("portal.invoice_pdf", "Личный кабинет: выгрузка счёта в PDF"),
    ("portal.link", "Личный кабинет: привязка лицевого счёта"),
    ("portal.login", "Личный кабинет: вход"),
    ("portal.login_failure", "Личный кабинет: неудачный вход"),
    (
        "portal.login_throttled",
        "Личный кабинет: вход временно заблокирован",
    ),
    (
        "portal.password_reset",
        "Личный кабинет: смена пароля по ссылке",
    ),
    (
        "portal.phone_code_refused",
        "Личный кабинет: неверный код из СМС",
    ),
    (
        "portal.phone_code_sent",
        "Личный кабинет: отправлен код по СМС",
    ),
    (
        "portal.phone_code_throttled",
        "Личный кабинет: отправка кодов временно заблокирована",
    ),
    (
        "portal.phone_confirmed",
        "Личный кабинет: телефон подтверждён",
    ),
    ("portal.reset", "Личный кабинет: восстановление пароля"),
    (
        "portal.reset_sent",
        "Личный кабинет: отправлена ссылка для смены пароля",
    ),
    (
        "portal.reset_throttled",
        "Личный кабинет: восстановление пароля временно заблокировано",
    ),
    (
        "portal.reset_unknown",
        "Личный кабинет: восстановление для неизвестного адреса",
    ),
    ("portal.session_expired", "Личный кабинет: сеанс истёк"),
    ("portal.sign_up", "Личный кабинет: регистрация"),
    (
        "portal.sign_up_refused",
        "Личный кабинет: отказ в регистрации",
    ),
    ("queue.booking", "Запись на приём"),
    ("queue.booking_cancel", "Отмена записи на приём"),
    ("queue.bookings_view", "Просмотр записей на приём"),
    ("queue.device_enrol", "Подключение киоска или табло"),
    ("queue.device_revoke", "Отзыв киоска или табло"),
    ("queue.service", "Изменение услуги очереди и нормы приёма"),
    ("queue.visit", "Приём посетителя в зале"),
    ("reading.accept", "Принятие показаний"),
    ("reading.add", "Передача показаний"),
    ("reading.quick_refused", "Показания без входа: отказ"),
    (
        "reading.quick_throttled",
        "Показания без входа: временно заблокировано",
    ),
    ("reading.reject", "Отклонение показаний"),
    ("restriction.delivery", "Отметка о вручении предупреждения"),
    ("restriction.step", "Шаг процедуры ограничения"),
    ("staff.create", "Создание сотрудника"),
    ("staff.password_reset", "Сброс пароля сотрудника"),
    ("staff.update", "Изменение сотрудника"),
    ("tariff.save", "Изменение тарифа"),
];

/// The Russian label of an audit action, or the code itself when it has none.
pub fn action_label(code: &str) -> &str {
    ACTIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, label)| label)
}

/// What the object of an audit entry is, in Russian, or the code itself.
pub fn object_kind_label(code: &str) -> &str {
    match code {
        "account" => "лицевой счёт",
        "appeal" => "обращение",
        "appeal_norms" => "нормы рассмотрения обращений",
        "appeal_topic" => "тематика обращений",
        "audit_log" => "журнал доступа",
        "billing" => "условия расчётов",
        "booking" => "запись на приём",
        "branch" => "отделение",
        "calendar_year" => "производственный календарь",
        "centre" => "центр обслуживания",
        "client" => "клиент",
        "client_search" => "поиск клиентов",
        "company" => "организация",
        "competence" => "справочник компетенций",
        "contract" => "договор",
        "device" => "киоск или табло",
        "home_visit" => "выезд на дом",
        "incident" => "инцидент",
        "invoice" => "счёт",
        "mail" => "письмо",
        "meter" => "прибор учёта",
        "news" => "новость",
        "norms" => "нормативы потребления",
        "notice_template" => "шаблон уведомления",
        "outbox" => "исходящее сообщение",
        "payment" => "платёж",
        "payment_point" => "пункт приёма платежей",
        "portal_user" => "пользователь личного кабинета",
        "registry" => "реестр платежей",
        "service_centre" => "центр обслуживания",
        "staff" => "сотрудник",
        "tariff" => "тариф",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_fallback() {
        assert_eq!(action_label("appeal.view"), "Просмотр обращения");
        assert_eq!(
            action_label("portal.invoice_pdf"),
            "Личный кабинет: выгрузка счёта в PDF"
        );
        assert_eq!(action_label("staff.update"), "Изменение сотрудника");
        assert_eq!(action_label("something.new"), "something.new");
        assert_eq!(object_kind_label("client"), "клиент");
        assert_eq!(object_kind_label("thing"), "thing");
    }

    /// The first string literal after each `audit(`, `audit_in(` and `throttle(` call in the
    /// workspace's sources that looks like an action code (`word.word`).
    fn audited_actions(src: &str) -> Vec<String> {
        let mut out = Vec::new();
        for call in ["audit(", "audit_in(", "throttle("] {
            for (i, _) in src.match_indices(call) {
                let rest: String = src[i + call.len()..].chars().take(400).collect();
                let mut parts = rest.split('"');
                parts.next();
                if let Some(lit) = parts.next() {
                    let code = lit.split_once('.').is_some_and(|(a, b)| {
                        !a.is_empty()
                            && !b.is_empty()
                            && lit
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
                    });
                    if code {
                        out.push(lit.to_owned());
                    }
                }
            }
        }
        out
    }

    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    #[test]
    fn every_audited_action_has_a_label() {
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for c in ["domain", "store", "web", "jobs", "abonent"] {
            sources(&crates.join(c).join("src"), &mut files);
        }
        let mut found = 0;
        for f in files {
            let src = std::fs::read_to_string(&f).unwrap();
            for code in audited_actions(&src) {
                found += 1;
                assert_ne!(
                    action_label(&code),
                    code,
                    "{}: the audit action {code} has no Russian label",
                    f.display()
                );
            }
        }
        assert!(found > 40, "the scan found the audit calls: {found}");
    }
}
