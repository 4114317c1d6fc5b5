//! Both engines kept in step: the SQLite and PostgreSQL migrations must build the same schema —
//! the same migrations, tables, columns (type class and nullability), indexes (unique, columns,
//! partial) and triggers (the events they guard). A migration added to one engine only, or a
//! column typed differently, fails here. The differences that are by design are listed in
//! `BY_DESIGN` with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use std::collections::{BTreeMap, BTreeSet};

use abonent_store::{testing, Backend, Store};

/// (table, column) → (type class, not null).
type Columns = BTreeMap<(String, String), (String, bool)>;
/// (table, unique, columns, partial).
type Indexes = BTreeSet<(String, bool, String, bool)>;
/// (table, event) guarded by a trigger.
type Triggers = BTreeSet<(String, String)>;

/// Full-text search of appeals: an FTS5 table (and its shadow tables) on SQLite, a `tsvector`
/// column with a GIN index on PostgreSQL (ARCHITECTURE: engine-specific full-text search).
fn by_design(table: &str, column: Option<&str>) -> bool {
    table.starts_with("appeal_fts") || (table == "appeals" && column == Some("search_vector"))
}

/// The class of a declared type, as both engines store it.
fn class(declared: &str) -> String {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        "integer"
    } else if t.contains("char") || t.contains("text") {
        "text"
    } else if t.contains("bool") {
        "boolean"
    } else if t.contains("real") || t.contains("floa") || t.contains("doub") {
        "real"
    } else if t.contains("blob") || t.contains("bytea") {
        "blob"
    } else {
        return t;
    }
    .to_owned()
}

struct Schema {
    migrations: Vec<i64>,
    columns: Columns,
    indexes: Indexes,
    triggers: Triggers,
}

async fn sqlite_schema(s: &Store) -> Schema {
    let cols: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT m.name, p.name, p.type, p.\"notnull\", p.pk
         FROM sqlite_master m, pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
    )
    .fetch_all(s.pool())
    .await
    .expect("columns");
    let columns = cols
        .into_iter()
        .filter(|(t, c, ..)| !by_design(t, Some(c)))
        .map(|(t, c, ty, notnull, pk)| ((t, c), (class(&ty), notnull != 0 || pk != 0)))
        .collect();
    let idx: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT m.name, l.name, l.\"unique\", l.partial
         FROM sqlite_master m, pragma_index_list(m.name) l
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND l.origin <> 'pk'",
    )
    .fetch_all(s.pool())
    .await
    .expect("indexes");
    let mut indexes = Indexes::new();
    for (table, name, unique, partial) in idx {
        if by_design(&table, None) {
            continue;
        }
        let cols: Vec<(String,)> =
            sqlx::query_as("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                .bind(&name)
                .fetch_all(s.pool())
                .await
                .expect("index columns");
        let cols: Vec<String> = cols.into_iter().map(|c| c.0).collect();
        indexes.insert((table, unique != 0, cols.join(","), partial != 0));
    }
    let trig: Vec<(String, String)> =
        sqlx::query_as("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
            .fetch_all(s.pool())
            .await
            .expect("triggers");
    let mut triggers = Triggers::new();
    for (table, sql) in trig {
        let head = sql.to_ascii_uppercase();
        let head = head.split(" ON ").next().unwrap_or_default().to_owned();
        for event in ["INSERT", "UPDATE", "DELETE"] {
            if head.contains(event) {
                triggers.insert((table.clone(), event.to_owned()));
            }
        }
    }
    Schema {
        migrations: migrations(s).await,
        columns,
        indexes,
        triggers,
    }
}

async fn postgres_schema(s: &Store) -> Schema {
    let cols: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT), CAST(data_type AS TEXT),
             CAST(is_nullable AS TEXT)
         FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(s.pool())
    .await
    .expect("columns");
    let columns = cols
        .into_iter()
        .filter(|(t, c, ..)| !by_design(t, Some(c)))
        .map(|(t, c, ty, nullable)| ((t, c), (class(&ty), nullable == "NO")))
        .collect();
    let idx: Vec<(String, String, bool, i32)> = sqlx::query_as(
        "SELECT CAST(t.relname AS TEXT), CAST(x.relname AS TEXT), i.indisunique,
             CASE WHEN i.indpred IS NULL THEN 0 ELSE 1 END
         FROM pg_index i
             JOIN pg_class t ON t.oid = i.indrelid
             JOIN pg_class x ON x.oid = i.indexrelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = current_schema() AND NOT i.indisprimary
             AND t.relname NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(s.pool())
    .await
    .expect("indexes");
    let mut indexes = Indexes::new();
    for (table, name, unique, partial) in idx {
        let cols: Vec<(String,)> = sqlx::query_as(
            "SELECT CAST(a.attname AS TEXT)
             FROM pg_index i
                 JOIN pg_class x ON x.oid = i.indexrelid
                 JOIN pg_namespace n ON n.oid = x.relnamespace
                 JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON TRUE
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE x.relname = $1 AND n.nspname = current_schema()
             ORDER BY k.ord",
        )
        .bind(&name)
        .fetch_all(s.pool())
        .await
        .expect("index columns");
        let cols: Vec<String> = cols.into_iter().map(|c| c.0).collect();
        if cols.iter().any(|c| by_design(&table, Some(c))) {
            continue;
        }
        indexes.insert((table, unique, cols.join(","), partial != 0));
    }
    let trig: Vec<(String, i32)> = sqlx::query_as(
        "SELECT CAST(c.relname AS TEXT), CAST(t.tgtype AS INTEGER)
         FROM pg_trigger t
             JOIN pg_class c ON c.oid = t.tgrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = current_schema() AND NOT t.tgisinternal",
    )
    .fetch_all(s.pool())
    .await
    .expect("triggers");
    let mut triggers = Triggers::new();
    for (table, tgtype) in trig {
        // pg_trigger.tgtype: 4 insert, 8 delete, 16 update.
        for (bit, event) in [(4, "INSERT"), (8, "DELETE"), (16, "UPDATE")] {
            if tgtype & bit != 0 {
                triggers.insert((table.clone(), event.to_owned()));
            }
        }
    }
    Schema {
        migrations: migrations(s).await,
        columns,
        indexes,
        triggers,
    }
}

async fn migrations(s: &Store) -> Vec<i64> {
    let v: Vec<(i64,)> =
        sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(s.pool())
            .await
            .expect("migrations");
    v.into_iter().map(|x| x.0).collect()
}

/// What is on one side only, for the failure message.
fn differences<T: Ord + std::fmt::Debug>(
    what: &str,
    sqlite: &BTreeSet<T>,
    postgres: &BTreeSet<T>,
) -> Vec<String> {
    let mut out = Vec::new();
    for x in sqlite.difference(postgres) {
        out.push(format!("{what} only on SQLite: {x:?}"));
    }
    for x in postgres.difference(sqlite) {
        out.push(format!("{what} only on PostgreSQL: {x:?}"));
    }
    out
}

#[tokio::test]
async fn both_engines_build_the_same_schema() {
    let dbs = testing::all().await;
    let (Some(lite), Some(pg)) = (
        dbs.iter().find(|d| d.store.backend() == Backend::Sqlite),
        dbs.iter().find(|d| d.store.backend() == Backend::Postgres),
    ) else {
        // `testing::all` fails in CI without PostgreSQL; on a developer's machine say so.
        eprintln!("note: schema parity not compared: ABONENT_TEST_POSTGRES_URL is not set");
        return;
    };
    let a = sqlite_schema(&lite.store).await;
    let b = postgres_schema(&pg.store).await;
    assert!(
        a.columns.len() > 100,
        "the schema was read: {}",
        a.columns.len()
    );
    assert!(!a.indexes.is_empty() && !a.triggers.is_empty());
    let problems = compare(&a, &b);
    assert!(
        problems.is_empty(),
        "the engines' schemas differ:\n{}",
        problems.join("\n")
    );

    // The comparison sees a change made on one side only.
    for sql in [
        "ALTER TABLE payments ADD COLUMN memo TEXT",
        "CREATE INDEX payments_memo ON payments (memo)",
        "CREATE TRIGGER payments_frozen BEFORE DELETE ON payments BEGIN SELECT 1; END",
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time)
         VALUES (9999, 'one side', '2026-12-01', TRUE, x'00', 0)",
    ] {
        sqlx::query(sql).execute(lite.store.pool()).await.expect(sql);
    }
    let changed = compare(&sqlite_schema(&lite.store).await, &b);
    assert_eq!(changed.len(), 4, "{changed:#?}");
    assert!(changed[0].starts_with("migrations differ"), "{changed:#?}");
    assert!(changed
        .iter()
        .any(|p| p.contains("\"memo\", \"text\", false")));
    assert!(changed.iter().any(|p| p.contains("index only on SQLite")));
    assert!(changed
        .iter()
        .any(|p| p.contains("(\"payments\", \"DELETE\")")));
    for db in dbs {
        db.cleanup().await;
    }
}

fn compare(a: &Schema, b: &Schema) -> Vec<String> {
    let mut problems = Vec::new();
    if a.migrations != b.migrations {
        problems.push(format!(
            "migrations differ: SQLite {:?}, PostgreSQL {:?}",
            a.migrations, b.migrations
        ));
    }
    let cols = |c: &Columns| -> BTreeSet<(String, String, String, bool)> {
        c.iter()
            .map(|((t, n), (ty, nn))| (t.clone(), n.clone(), ty.clone(), *nn))
            .collect()
    };
    problems.extend(differences("column", &cols(&a.columns), &cols(&b.columns)));
    problems.extend(differences("index", &a.indexes, &b.indexes));
    problems.extend(differences("trigger", &a.triggers, &b.triggers));
    problems
}

#[test]
fn type_classes() {
    assert_eq!(class("BIGINT"), "integer");
    assert_eq!(class("INTEGER"), "integer");
    assert_eq!(class("bigint"), "integer");
    assert_eq!(class("TEXT"), "text");
    assert_eq!(class("character varying"), "text");
    assert_eq!(class("BOOLEAN"), "boolean");
    assert_eq!(class("double precision"), "real");
    assert_eq!(class("tsvector"), "tsvector");
    assert!(by_design("appeal_fts_data", None));
    assert!(!by_design("appeals", Some("subject")));
}
