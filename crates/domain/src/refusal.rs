//! Refusals: why a change that was asked for is not made, one enum per capability. Each variant
//! carries the data it names; its `Display` is the Russian text shown to people (forms show it
//! next to the field, the API returns it as the detail of a 409). The store reports them as
//! `StoreError::Refused`, so callers tell them apart by variant, never by their text.

use crate::money::{Kopecks, MoneyOverflow};
use crate::payments::registry::LineError;
use crate::restriction::{step_label, RestrictionRefusal};
use crate::tariffs::Period;
use crate::validation::{FieldError, FieldErrors};

/// A refusal of any capability.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Accounts(#[from] AccountsRefusal),
    #[error(transparent)]
    Appeals(#[from] AppealsRefusal),
    #[error(transparent)]
    Billing(#[from] BillingRefusal),
    #[error(transparent)]
    Clients(#[from] ClientsRefusal),
    #[error(transparent)]
    Contracts(#[from] ContractsRefusal),
    #[error(transparent)]
    Mail(#[from] MailRefusal),
    #[error(transparent)]
    HomeVisit(#[from] HomeVisitRefusal),
    #[error(transparent)]
    Metering(#[from] MeteringRefusal),
    #[error(transparent)]
    News(#[from] NewsRefusal),
    #[error(transparent)]
    Org(#[from] OrgRefusal),
    #[error(transparent)]
    Payments(#[from] PaymentsRefusal),
    #[error(transparent)]
    Portal(#[from] PortalRefusal),
    #[error(transparent)]
    Queue(#[from] QueueRefusal),
    #[error(transparent)]
    Restriction(#[from] RestrictionCaseRefusal),
}

/// The hall's queue (CHN-01).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueRefusal {
    /// Another window called it, or it was served, since the page was shown.
    #[error("Талон уже вызван другим окном или обслужен; обновите страницу.")]
    TicketChanged,
    /// A window serves one visitor at a time.
    #[error("Сначала завершите приём талона {0}.")]
    AlreadyServing(String),
    #[error("Услуга не найдена или не ведётся в этом центре.")]
    UnknownService,
    /// A transfer to the service the ticket is in already.
    #[error("Талон уже в очереди этой услуги.")]
    SameService,
    #[error("Буква «{0}» уже занята другой услугой центра.")]
    LetterTaken(String),
    #[error("Выберите окно и хотя бы одну услугу рабочего места.")]
    NoSeat,
    /// Every seat of the slot was booked, by another client a moment earlier too.
    #[error("Это время уже занято: выберите другое.")]
    SlotTaken,
    #[error(
        "Запись не найдена: проверьте код. Запись действует только в день приёма в этом центре."
    )]
    BookingNotFound,
    /// Cancelled already, or the visitor has come.
    #[error("Запись уже отменена или по ней выдан талон.")]
    BookingClosed,
    /// One booking a person, centre and day: the same client, phone or e-mail.
    #[error("На этот день в этом центре уже есть запись на это имя, телефон или почту: отмените её, чтобы записаться на другое время.")]
    AlreadyBooked,
}

/// Home visits (CHN-06).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HomeVisitRefusal {
    /// Another staff member changed the visit since the page was shown (its version moved on).
    #[error("Выезд уже изменил другой сотрудник; обновите страницу.")]
    Changed,
    /// A completed or cancelled visit changes no more.
    #[error("Выезд уже завершён или отменён.")]
    Closed,
    /// A result is recorded for a scheduled visit only.
    #[error("Сначала назначьте день и сотрудника выезда.")]
    NotScheduled,
    /// The staff member chosen does not serve visitors, is inactive or of another branch.
    #[error("Этот сотрудник не может выехать к клиенту: нужен действующий сотрудник отделения клиента, который принимает посетителей.")]
    NotAVisitor,
    /// The account is not the client's.
    #[error("Лицевой счёт не найден среди счетов клиента.")]
    NotClientsAccount,
    /// The result is recorded by the staff member who visits (or one who schedules visits).
    #[error("Результат записывает сотрудник, назначенный на выезд.")]
    NotYourVisit,
}

/// Personal accounts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountsRefusal {
    /// The number is taken (by a concurrent opening, too: opening retries with the next one).
    #[error("Лицевой счёт с таким номером уже есть.")]
    NumberTaken,
}

/// Appeals.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppealsRefusal {
    /// The appeal was closed, or changed since the page was shown (its version moved on).
    #[error("Обращение уже закрыто или изменено другим сотрудником; обновите страницу.")]
    ClosedOrChanged,
    /// A registration names a topic, branch, client or account that does not exist.
    #[error("Тематика, отделение, клиент или лицевой счёт не найдены.")]
    UnknownReference,
    #[error("Исполнитель не найден.")]
    NoSuchExecutor,
    /// Inactive staff, administrators and records clerks do not execute appeals.
    #[error("Этот сотрудник не может быть исполнителем обращения.")]
    NotAnExecutor,
    #[error("Такой тематики нет.")]
    NoSuchTopic,
    #[error("Письмо уже отмечено отправленным.")]
    LetterAlreadyPosted,
}

impl AppealsRefusal {
    /// Whether the refusal is about the chosen executor (a form shows it at that field).
    pub fn is_about_executor(&self) -> bool {
        matches!(
            self,
            AppealsRefusal::NoSuchExecutor | AppealsRefusal::NotAnExecutor
        )
    }
}

/// Billing: tariffs, runs and invoices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingRefusal {
    /// The payee's requisites in the billing settings fail the checks (BIL-05).
    #[error(
        "Реквизиты для оплаты в настройках расчётов неверны, счёт с ними не выставляется: {} Исправьте их в разделе «Расчёты» → «Настройки».",
        requisite_problems(.0)
    )]
    BadRequisites(FieldErrors),
    /// An invoice's payment QR code could not be formed from the requisites.
    #[error(
        "Платёжный QR-код счёта не сформирован: {0}. Проверьте реквизиты в разделе «Расчёты» → «Настройки»."
    )]
    QrNotFormed(FieldErrors),
    /// A tariff may only start after the last period billed.
    #[error("Период {last} уже рассчитан: тариф можно ввести с {} или позже.", .last.next())]
    TariffPeriodBilled { last: Period },
    /// Closed periods never change; corrections are lines in the open period.
    #[error(
        "Период {period} раньше последнего рассчитанного ({last}, {}): закрытые периоды не меняются, исправления — строками в открытом периоде.",
        if *.last_closed { "закрыт" } else { "идёт расчёт" }
    )]
    PeriodBeforeLast {
        period: Period,
        last: Period,
        last_closed: bool,
    },
    /// The last run has not finished.
    #[error("Сначала завершите расчёт периода {last}: abonent bill {last}.")]
    LastRunUnfinished { last: Period },
    /// Periods are billed in order.
    #[error("Следующий период для расчёта — {next}: периоды рассчитываются по порядку.")]
    NotNextPeriod { next: Period },
    /// A category in use has no tariff for the period (checked before a run starts).
    #[error(
        "Нет тарифа категории «{category}» на период {period}: введите его на странице «Тарифы и нормативы»."
    )]
    NoTariff { category: String, period: Period },
    /// A category in use has no consumption norms (checked before a run starts).
    #[error("Нет нормативов потребления категории «{category}».")]
    NoNorms { category: String },
    /// An account's category has no tariff for the period (found while billing).
    #[error("Нет тарифа категории «{category}» на период {period}")]
    NoTariffForAccount { category: String, period: Period },
    /// An account's category has no norm for its rooms and residents (found while billing).
    #[error("Нет норматива категории «{category}»")]
    NoNormForAccount { category: String },
    /// An account's statement overflowed.
    #[error("Лицевой счёт id {account_id}: {error}")]
    Statement {
        account_id: i64,
        error: MoneyOverflow,
    },
    /// Another process bills the same period at the same time.
    #[error("Период {period} рассчитывается другим процессом одновременно.")]
    RunConcurrent { period: Period },
}

/// The wrong requisites, each named in Russian with its problem.
fn requisite_problems(e: &FieldErrors) -> String {
    let label = |f: &FieldError| match f.field.as_str() {
        "name" => "получатель",
        "personal_acc" => "расчётный счёт",
        "bank_name" => "банк",
        "bic" => "БИК",
        "corresp_acc" => "корреспондентский счёт",
        "payee_inn" => "ИНН",
        "kpp" => "КПП",
        _ => "реквизит",
    };
    e.0.iter()
        .map(|f| format!("{} — {}", label(f), f.detail))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Client cards.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientsRefusal {
    /// The card changed since the form was shown (its version moved on).
    #[error(
        "Карточку клиента уже изменил другой сотрудник. Обновите страницу и внесите изменения заново."
    )]
    CardChanged,
}

/// Written contracts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractsRefusal {
    #[error(
        "Заявление о заключении договора по этому лицевому счёту уже подано и рассматривается: дождитесь решения."
    )]
    AlreadyApplied,
    #[error("Это заявление уже рассмотрено (или его нет).")]
    AlreadyDecided,
}

/// The mailbox of incoming letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailRefusal {
    #[error("Письмо уже обработано.")]
    AlreadyHandled,
}

/// Meter readings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeteringRefusal {
    #[error("Эти показания уже рассмотрены.")]
    AlreadyReviewed,
    /// Later readings of the meter were accepted: these may only be rejected.
    #[error("После этих показаний по счётчику приняты другие: эти можно только отклонить.")]
    LaterAccepted,
    /// Another reading of the meter was accepted while this one was entered.
    #[error("Пока вы вводили, по этому счётчику приняли другие показания. Обновите страницу.")]
    ChangedMeanwhile,
}

/// News for clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NewsRefusal {
    #[error("Такого отделения нет.")]
    NoSuchBranch,
    /// The district (`settlement`, or the chosen branch when None) has no open account.
    #[error(
        "В районе «{}» нет ни одного действующего лицевого счёта: проверьте населённый пункт и отделение.",
        .settlement.as_deref().unwrap_or("выбранное отделение")
    )]
    EmptyDistrict { settlement: Option<String> },
}

/// The organisation: branches, service centres, staff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgRefusal {
    #[error("Отделение с таким названием уже есть.")]
    BranchNameTaken,
    #[error("Центр обслуживания с таким названием уже есть.")]
    CentreNameTaken,
    #[error("Выбранного отделения нет.")]
    NoSuchBranch,
    #[error("Сотрудник с таким логином уже есть.")]
    LoginTaken,
    #[error("Выбранного отделения или центра нет.")]
    NoSuchBranchOrCentre,
}

/// Payments: the cashier, registries and the rows held for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentsRefusal {
    /// Another import credited the same payments at the same time.
    #[error(
        "Те же платежи зачислены другим процессом одновременно: загрузите реестр ещё раз — повторы не зачислятся."
    )]
    ConcurrentImport,
    #[error("Сумма должна быть больше нуля.")]
    NotPositive,
    /// Rows of a registry contradict each other.
    #[error("{}", line_problems(.0))]
    BadLines(Vec<LineError>),
    /// The registry's total does not fit.
    #[error(transparent)]
    Overflow(#[from] MoneyOverflow),
    #[error("Эта строка реестра отклонена как повтор.")]
    RowRejected,
    #[error("Этот платёж уже зачислен.")]
    AlreadyCredited,
    #[error("Операция № {operation_id} этого банка уже зачислена.")]
    OperationCredited { operation_id: String },
    #[error("Эта строка реестра уже разобрана.")]
    RowSettled,
}

fn line_problems(lines: &[LineError]) -> String {
    lines
        .iter()
        .map(|l| format!("строка {}: {}", l.line_no, l.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The clients' portal. The sign-up form words these itself (by the kind of login).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortalRefusal {
    /// The account is linked to another portal user already.
    #[error(
        "К этому лицевому счёту уже открыт другой личный кабинет. Если вы его не открывали, обратитесь в центр обслуживания."
    )]
    AccountLinked,
    /// The e-mail address or phone number is registered already.
    #[error("Этот адрес или номер уже зарегистрирован.")]
    LoginTaken,
}

/// Restriction cases for debt (PAY-04, ПП 354 п. 119).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestrictionCaseRefusal {
    /// The case changed since the page was shown.
    #[error("Дело уже изменили: обновите страницу.")]
    CaseChanged,
    /// The step does not follow the case's status.
    #[error("После шага «{}» нельзя «{}».", step_label(.status), step_label(.step))]
    StepNotNext { status: String, step: String },
    /// The warning's term (ПП 354 п. 119).
    #[error("{0}")]
    Term(RestrictionRefusal),
    #[error("Просроченной задолженности нет: ограничение не вводится.")]
    NoOverdue,
    #[error("Задолженность не погашена: просрочено {overdue}.")]
    DebtUnpaid { overdue: Kopecks },
    #[error("Дело закрыто: вручение предупреждения уже не записывается.")]
    CaseClosed,
    /// The letter is recorded in the case already (with its receipt date, when `with_receipt`).
    #[error(
        "Письмо с почтовым идентификатором {rpo} уже записано в этом деле{}.",
        if *.with_receipt { " с датой вручения по уведомлению" } else { "" }
    )]
    LetterRecorded { rpo: String, with_receipt: bool },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn per(year: i16, month: i8) -> Period {
        Period { year, month }
    }

    #[test]
    fn texts_name_their_data() {
        let mut e = FieldErrors::new();
        e.add("bic", "9 цифр");
        e.add("kpp", "не заполнен");
        assert_eq!(
            Refusal::from(BillingRefusal::BadRequisites(e)).to_string(),
            "Реквизиты для оплаты в настройках расчётов неверны, счёт с ними не выставляется: БИК — 9 цифр КПП — не заполнен Исправьте их в разделе «Расчёты» → «Настройки»."
        );
        assert_eq!(
            BillingRefusal::PeriodBeforeLast {
                period: per(2026, 8),
                last: per(2026, 10),
                last_closed: false
            }
            .to_string(),
            "Период 2026-08 раньше последнего рассчитанного (2026-10, идёт расчёт): закрытые периоды не меняются, исправления — строками в открытом периоде."
        );
        assert_eq!(
            BillingRefusal::LastRunUnfinished {
                last: per(2026, 10)
            }
            .to_string(),
            "Сначала завершите расчёт периода 2026-10: abonent bill 2026-10."
        );
        assert_eq!(
            NewsRefusal::EmptyDistrict { settlement: None }.to_string(),
            "В районе «выбранное отделение» нет ни одного действующего лицевого счёта: проверьте населённый пункт и отделение."
        );
        assert_eq!(
            ContractsRefusal::AlreadyApplied.to_string(),
            "Заявление о заключении договора по этому лицевому счёту уже подано и рассматривается: дождитесь решения."
        );
        assert_eq!(
            PaymentsRefusal::BadLines(vec![
                LineError {
                    line_no: 2,
                    detail: "нет суммы".into()
                },
                LineError {
                    line_no: 5,
                    detail: "нет даты".into()
                }
            ])
            .to_string(),
            "строка 2: нет суммы; строка 5: нет даты"
        );
        assert_eq!(
            RestrictionCaseRefusal::StepNotNext {
                status: "warning".into(),
                step: "reconnected".into()
            }
            .to_string(),
            "После шага «предупреждение направлено» нельзя «подача возобновлена»."
        );
        assert_eq!(
            RestrictionCaseRefusal::LetterRecorded {
                rpo: "62846200000001".into(),
                with_receipt: true
            }
            .to_string(),
            "Письмо с почтовым идентификатором 62846200000001 уже записано в этом деле с датой вручения по уведомлению."
        );
        assert_eq!(
            RestrictionCaseRefusal::DebtUnpaid {
                overdue: Kopecks(12_345)
            }
            .to_string(),
            "Задолженность не погашена: просрочено 123,45\u{a0}₽."
        );
        let term = RestrictionRefusal::NotDelivered { warning_days: 20 };
        assert_eq!(
            Refusal::from(RestrictionCaseRefusal::Term(term.clone())).to_string(),
            term.to_string()
        );
    }

    #[test]
    fn executor_refusals_are_told_apart() {
        assert!(AppealsRefusal::NoSuchExecutor.is_about_executor());
        assert!(AppealsRefusal::NotAnExecutor.is_about_executor());
        assert!(!AppealsRefusal::ClosedOrChanged.is_about_executor());
    }
}
