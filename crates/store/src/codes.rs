//! Decoding of nullable stored codes into `Option` of a domain enum.
//!
//! `#[sqlx(try_from = "String")]` decodes a `NOT NULL` code column; a nullable one cannot use
//! `try_from = "Option<String>"`, as `TryFrom<Option<String>> for Option<E>` is another crate's
//! trait for another crate's type. [`NullableCode`] is this crate's own type, decoded exactly as
//! `Option<String>`, so `#[sqlx(try_from = "NullableCode")]` on an `Option<E>` field works; an
//! unknown code is a decode error, as for the `NOT NULL` columns.

use abonent_domain::accounts::UnknownCode;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Type};

/// A nullable code column as read, before it is decoded into `Option` of a coded enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NullableCode(pub Option<String>);

impl<DB: Database> Type<DB> for NullableCode
where
    String: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <String as Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <String as Type<DB>>::compatible(ty)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for NullableCode
where
    Option<String>: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        <Option<String> as Decode<'r, DB>>::decode(value).map(NullableCode)
    }
}

/// `Option<E>: TryFrom<NullableCode>` for coded enums stored in nullable columns.
macro_rules! nullable_codes {
    ($($t:ty),+ $(,)?) => {
        $(impl TryFrom<NullableCode> for Option<$t> {
            type Error = UnknownCode;
            fn try_from(c: NullableCode) -> Result<Self, UnknownCode> {
                c.0.map(<$t>::try_from).transpose()
            }
        })+
    };
}

nullable_codes!(abonent_domain::appeals::Ground);
