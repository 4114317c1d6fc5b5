//! Organisation: staff roles (ORG-03) and what each may do. Least privilege: the web layer asks
//! [`Role::can`] on the server for every action; templates only hide what is refused anyway.

use serde::{Deserialize, Serialize};

use crate::accounts::coded_enum;

coded_enum! {
    /// Staff roles of the standard (ORG-03). Clients sign in separately (PRT-02).
    Role {
        Technician = "technician" / "техник",
        CashierTechnician = "cashier_technician" / "техник-кассир",
        HeadOfRetailSales = "head_of_retail_sales" / "начальник отдела по продаже электроэнергии населению",
        BranchHead = "branch_head" / "руководитель отделения",
        RecordsClerk = "records_clerk" / "специалист по документообороту (канцелярия)",
        GeneralDirector = "general_director" / "генеральный директор",
        Administrator = "administrator" / "администратор",
    }
}

/// An action that needs a right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Permission {
    /// Search clients and open a client's card (personal data, audited).
    ViewClients,
    /// Create and edit clients, accounts and premises.
    EditClients,
    /// Staff, roles, branches, service centres, hours, the working calendar.
    AdministerOrganisation,
    /// Read the audit log of personal-data access.
    ViewAudit,
}

impl Role {
    /// Whether this role may perform `p`.
    pub fn can(self, p: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match p {
            ViewClients => !matches!(self, Administrator),
            EditClients => matches!(
                self,
                Technician | CashierTechnician | HeadOfRetailSales | BranchHead
            ),
            AdministerOrganisation => matches!(self, Administrator),
            ViewAudit => matches!(self, Administrator | GeneralDirector | BranchHead),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_privilege() {
        assert!(Role::Technician.can(Permission::EditClients));
        assert!(!Role::Technician.can(Permission::AdministerOrganisation));
        assert!(Role::RecordsClerk.can(Permission::ViewClients));
        assert!(!Role::RecordsClerk.can(Permission::EditClients));
        assert!(!Role::Administrator.can(Permission::ViewClients));
        assert!(Role::Administrator.can(Permission::AdministerOrganisation));
        assert!(!Role::GeneralDirector.can(Permission::EditClients));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(*r));
        }
    }
}
