//! Files uploaded with a form or through the API (appeals, contract applications): limits and
//! accepted types, checked before anything is stored.

use std::collections::HashMap;

use abonent_domain::validation::FieldErrors;
use abonent_store::appeals::NewAttachment;
use axum::extract::Multipart;

/// Attachment limits: what a records office scans and what a mail server accepts.
pub const MAX_FILES: usize = 10;
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_TOTAL_BYTES: usize = 20 * 1024 * 1024;

pub use abonent_domain::appeals::accepted_type;

use crate::common::error::WebError;

/// A file as received, before checks.
pub struct Upload {
    pub file_name: String,
    pub content: Vec<u8>,
}

/// Checks files against the limits and types; the message names the file.
pub fn check_uploads(files: Vec<Upload>) -> Result<Vec<NewAttachment>, FieldErrors> {
    let files: Vec<Upload> = files
        .into_iter()
        .filter(|f| !(f.file_name.is_empty() && f.content.is_empty()))
        .collect();
    let mut e = FieldErrors::new();
    if files.len() > MAX_FILES {
        e.add(
            "files",
            format!("Не больше {MAX_FILES} файлов к одному обращению."),
        );
    }
    let total: usize = files.iter().map(|f| f.content.len()).sum();
    if total > MAX_TOTAL_BYTES {
        e.add(
            "files",
            format!("Файлы вместе больше {} МБ.", MAX_TOTAL_BYTES / 1024 / 1024),
        );
    }
    let mut out = Vec::new();
    for f in files {
        let name: String = f
            .file_name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        let Some(ct) = accepted_type(&name) else {
            e.add(
                "files",
                format!(
                    "Файл «{name}»: такой тип не принимается. Подойдут PDF, JPEG, PNG, TIFF, DOC, DOCX, ODT, RTF, TXT."
                ),
            );
            continue;
        };
        if f.content.is_empty() {
            e.add("files", format!("Файл «{name}» пустой."));
            continue;
        }
        if f.content.len() > MAX_FILE_BYTES {
            e.add(
                "files",
                format!("Файл «{name}» больше {} МБ.", MAX_FILE_BYTES / 1024 / 1024),
            );
            continue;
        }
        out.push(NewAttachment {
            file_name: name,
            content_type: ct.to_owned(),
            content: f.content,
        });
    }
    e.into_result(out)
}

/// Reads a multipart form: text fields and the files under `files`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn read_multipart(
    mut mp: Multipart,
) -> Result<(HashMap<String, String>, Vec<Upload>), WebError> {
    let mut fields = HashMap::new();
    let mut files = Vec::new();
    let too_big = |_| {
        WebError::from(FieldErrors::single(
            "files",
            format!("Файлы вместе больше {} МБ.", MAX_TOTAL_BYTES / 1024 / 1024),
        ))
    };
    while let Some(field) = mp.next_field().await.map_err(too_big)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "files" {
            let file_name = field.file_name().unwrap_or("").to_owned();
            let content = field.bytes().await.map_err(too_big)?.to_vec();
            files.push(Upload { file_name, content });
        } else {
            let v = field.text().await.map_err(too_big)?;
            if v.contains('\0') || name.contains('\0') {
                return Err(crate::common::body::refusal(&name.replace('\0', "")));
            }
            fields.insert(name, v);
        }
    }
    Ok((fields, files))
}

/// A browser cannot be given files back: when the form returns with an error, the citizen is
/// told which files were not kept and must be attached again (unless the files themselves were
/// the error, which says so already).
pub fn files_to_attach_again(mut errors: FieldErrors, attached: &[String]) -> FieldErrors {
    if !attached.is_empty() && !errors.0.iter().any(|e| e.field == "files") {
        errors.add(
            "files",
            format!(
                "Прикреплённые файлы не сохранены, потому что форма вернулась с ошибкой: {}. Прикрепите их снова.",
                attached.join(", ")
            ),
        );
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_checked_by_type_size_and_count() {
        let ok = check_uploads(vec![Upload {
            file_name: "C:\\scans\\акт.PDF".into(),
            content: b"%PDF".to_vec(),
        }])
        .unwrap();
        assert_eq!(ok[0].file_name, "акт.PDF");
        assert_eq!(ok[0].content_type, "application/pdf");
        let big = check_uploads(vec![Upload {
            file_name: "big.pdf".into(),
            content: vec![0; MAX_FILE_BYTES + 1],
        }])
        .unwrap_err();
        assert!(big.get("files").unwrap().contains("больше 10 МБ"));
        let total = check_uploads(
            (0..3)
                .map(|i| Upload {
                    file_name: format!("{i}.pdf"),
                    content: vec![0; MAX_FILE_BYTES],
                })
                .collect(),
        )
        .unwrap_err();
        assert!(total.get("files").unwrap().contains("вместе больше 20 МБ"));
        let many = check_uploads(
            (0..=MAX_FILES)
                .map(|i| Upload {
                    file_name: format!("{i}.png"),
                    content: vec![1],
                })
                .collect(),
        )
        .unwrap_err();
        assert!(many.get("files").unwrap().contains("Не больше 10 файлов"));
        let empty = check_uploads(vec![Upload {
            file_name: "пусто.txt".into(),
            content: vec![],
        }])
        .unwrap_err();
        assert!(empty.get("files").unwrap().contains("пустой"));
        // An empty file input (no file chosen) is not an upload.
        assert!(check_uploads(vec![Upload {
            file_name: String::new(),
            content: vec![],
        }])
        .unwrap()
        .is_empty());
    }
}
