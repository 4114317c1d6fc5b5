-- The register of incidents (CHN-05, §6.4) and the directory of competences (CHN-07, §6.2.3.3,
-- §6.3.3). Times are BIGINT microseconds, UTC; flags BIGINT 0/1.

CREATE TABLE incidents (
    id           INTEGER PRIMARY KEY,
    occurred_at  BIGINT NOT NULL,
    -- domain::frontoffice::incidents::IncidentKind
    kind         TEXT NOT NULL,
    -- centre | premises | phone
    place        TEXT NOT NULL,
    centre_id    BIGINT REFERENCES service_centres (id),
    -- the client's address, for place = premises
    address      TEXT NOT NULL DEFAULT '',
    -- the staff member involved
    staff_id     BIGINT NOT NULL REFERENCES staff (id),
    client_id    BIGINT REFERENCES clients (id),
    description  TEXT NOT NULL,
    -- IncidentAction codes separated by spaces
    actions      TEXT NOT NULL DEFAULT '',
    outcome      TEXT NOT NULL DEFAULT '',
    recorded_by  BIGINT NOT NULL REFERENCES staff (id),
    recorded_at  BIGINT NOT NULL
);
CREATE INDEX incidents_occurred ON incidents (occurred_at);
CREATE INDEX incidents_recorded_by ON incidents (recorded_by, occurred_at);
CREATE INDEX incidents_staff ON incidents (staff_id, occurred_at);

-- A notice about an incident links to it (the supervisor's and the director's, §6.4.4-6).
ALTER TABLE staff_notices ADD COLUMN incident_id BIGINT REFERENCES incidents (id);

CREATE TABLE competences (
    id          INTEGER PRIMARY KEY,
    topic       TEXT NOT NULL,
    questions   TEXT NOT NULL DEFAULT '',
    -- the position that decides
    position    TEXT NOT NULL,
    -- a named staff member, optionally
    staff_id    BIGINT REFERENCES staff (id),
    centre_id   BIGINT REFERENCES service_centres (id),
    phone       TEXT NOT NULL DEFAULT '',
    -- domain::hours::WeeklyHours canonical text; empty: the centre's hours
    hours       TEXT NOT NULL DEFAULT '',
    sort_order  BIGINT NOT NULL,
    published   BIGINT NOT NULL DEFAULT 1 CHECK (published IN (0, 1)),
    updated_at  BIGINT NOT NULL
);
CREATE INDEX competences_order ON competences (sort_order, id);

-- The positions of the standard (§6.3.3): a first directory to adapt.
INSERT INTO competences (topic, questions, position, sort_order, published, updated_at) VALUES
    ('Оплата и задолженность', 'оплата счёта, квитанции, реквизиты, задолженность, пени, сверка платежей', 'техник-кассир', 10, 1, 0),
    ('Показания и приборы учёта', 'передача показаний, замена, поверка и ввод прибора учёта в эксплуатацию, неисправный счётчик', 'техник', 20, 1, 0),
    ('Начисления и перерасчёт', 'спорные начисления, перерасчёт, нормативы потребления, тарифы', 'начальник отдела по продаже электроэнергии населению', 30, 1, 0),
    ('Договор энергоснабжения', 'заключение, изменение и расторжение договора, переоформление лицевого счёта, документы', 'начальник отдела по продаже электроэнергии населению', 40, 1, 0),
    ('Ограничение и возобновление подачи электроэнергии', 'предупреждение об ограничении, ограничение и возобновление режима электропотребления', 'начальник отдела по продаже электроэнергии населению', 50, 1, 0),
    ('Жалобы на работу сотрудников', 'недовольство обслуживанием, вопросы, не решённые специалистами', 'руководитель отделения', 60, 1, 0),
    ('Письменные обращения и ответы на них', 'регистрация обращения, срок и ход рассмотрения, получение ответа', 'специалист по документообороту (канцелярия)', 70, 1, 0);
