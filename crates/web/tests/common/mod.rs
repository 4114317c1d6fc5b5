//! The real router in-process, on a real database (SQLite, and PostgreSQL when configured).

#![allow(dead_code)]

use abonent_store::testing::{self, TestDb};
use abonent_web::{router, AppState, WebConfig};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use serde_json::Value;
use tower::ServiceExt;

pub const PASSWORD: &str = "test-password-1";

pub struct App {
    pub db: TestDb,
    pub router: Router,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// One app per test database, with default data, demo staff (password [`PASSWORD`]) and a few
/// demo clients.
pub async fn apps() -> Vec<App> {
    let hash = HASH
        .get_or_init(|| abonent_domain::password::try_hash(PASSWORD).unwrap())
        .clone();
    let mut out = Vec::new();
    for db in testing::all().await {
        db.store.seed_defaults().await.unwrap();
        db.store.seed_demo_staff(&hash).await.unwrap();
        db.store.demo_accounts(50, |_| {}).await.unwrap();
        let cfg = WebConfig {
            max_failures_per_login: 3,
            ..WebConfig::default()
        };
        let router = router(AppState::new(db.store.clone(), cfg));
        out.push(App { db, router });
    }
    out
}

impl App {
    pub fn label(&self) -> &'static str {
        self.db.label
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 10 << 20)
            .await
            .unwrap();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// An API request with an optional bearer token and JSON body.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    /// Signs in through the API and returns the bearer token.
    pub async fn token(&self, login: &str) -> String {
        let r = self
            .api(
                Method::POST,
                "/api/v1/session",
                None,
                Some(serde_json::json!({"login": login, "password": PASSWORD})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}: sign-in {login}: {}",
            self.label(),
            r.body
        );
        r.json()["token"].as_str().unwrap().to_owned()
    }

    /// A page request with a cookie header.
    pub async fn page(&self, method: Method, path: &str, cookie: &str, form: Option<&str>) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        if !cookie.is_empty() {
            b = b.header(header::COOKIE, cookie);
        }
        let req = match form {
            Some(f) => b
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(f.to_owned()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    /// Signs in through the login form as a browser would; returns (cookie header, csrf token).
    pub async fn browser_login(&self, login: &str) -> (String, String) {
        let form = self.page(Method::GET, "/login", "", None).await;
        let login_cookie = set_cookie(&form, "abonent_login_csrf");
        let csrf = hidden(&form.body, "_csrf");
        let body = format!("login={login}&password={PASSWORD}&next=%2Fclients&_csrf={csrf}");
        let r = self
            .page(
                Method::POST,
                "/login",
                &format!("abonent_login_csrf={login_cookie}"),
                Some(&body),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{}: {}",
            self.label(),
            r.body
        );
        assert_eq!(r.location(), "/clients");
        let cookie = format!("abonent_session={}", set_cookie(&r, "abonent_session"));
        let page = self
            .page(Method::GET, "/account/password", &cookie, None)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        (cookie, hidden(&page.body, "_csrf"))
    }
}

impl App {
    /// A confirmed personal-account user of `account_id` with a live session, made in the store
    /// (the sign-up pages have their own tests); returns (cookie header, CSRF token).
    pub async fn portal_user(&self, account_id: i64, email: &str) -> (String, String) {
        let s = &self.db.store;
        let actor = abonent_store::audit::Actor::default();
        let confirm = format!("confirm-{account_id}");
        s.portal_sign_up(
            account_id,
            &abonent_store::portal::PortalLogin::Email(email.into()),
            HASH.get().expect("apps() first"),
            &sha256_hex(&confirm),
            3_600_000_000,
            &actor,
        )
        .await
        .unwrap();
        let user = s
            .portal_confirm(&sha256_hex(&confirm))
            .await
            .unwrap()
            .unwrap();
        let token = format!("session-{account_id}");
        let csrf = format!("csrf-{account_id}");
        s.create_portal_session(&sha256_hex(&token), user, &csrf, "127.0.0.1", 3_600_000_000)
            .await
            .unwrap();
        (format!("abonent_portal={token}"), csrf)
    }
}

/// A multipart form: text fields and files as (field, file name, content).
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----abonent-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (field, name, content) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl App {
    pub async fn post_multipart(&self, path: &str, cookie: &str, ct: &str, body: Vec<u8>) -> Resp {
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }
}

/// The value a response sets for a cookie.
pub fn set_cookie(r: &Resp, name: &str) -> String {
    for v in r.headers.get_all(header::SET_COOKIE) {
        let v = v.to_str().unwrap();
        if let Some(rest) = v.strip_prefix(&format!("{name}=")) {
            return rest.split(';').next().unwrap().to_owned();
        }
    }
    panic!("no cookie {name} in {:?}", r.headers);
}

/// The value of the first hidden input with that name.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in page"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// SHA-256 of a text, hex (how tokens are stored).
#[allow(dead_code)]
pub fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}
