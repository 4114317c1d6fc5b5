//! SQL text built for both engines: multi-row `VALUES` lists with each engine's placeholders.

use crate::Backend;

/// `($1,$2),($3,$4)…` for PostgreSQL; `(?,?),(?,?)…` for SQLite, where numbered parameters make
/// every bind a linear search of the parameter names (quadratic in a 12,000-value statement).
pub(crate) fn values_clause(backend: Backend, rows: usize, cols: usize) -> String {
    if backend == Backend::Sqlite {
        let row = format!("({})", vec!["?"; cols].join(","));
        return vec![row; rows].join(",");
    }
    let mut s = String::with_capacity(rows * cols * 6);
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            s.push('$');
            s.push_str(&n.to_string());
            n += 1;
        }
        s.push(')');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_clause_numbers_placeholders() {
        assert_eq!(values_clause(Backend::Postgres, 2, 2), "($1,$2),($3,$4)");
        assert_eq!(values_clause(Backend::Sqlite, 2, 2), "(?,?),(?,?)");
    }
}
