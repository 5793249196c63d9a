//! Finding AWS credentials for SigV4 the way the AWS CLI and SDKs do, for the common cases:
//! the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), then the
//! shared credentials file and the config file for the profile `AWS_PROFILE` (or `default`).
//!
//! Why not `aws-config`: it brings a second HTTP stack and dozens of crates for SSO, STS and
//! instance metadata, none of which a copy tool run from a shell needs first. Those sources are
//! not read here; the README says so.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aws_credential_types::Credentials;

/// Credentials and where they came from (for the "signing with ..." log line; never the keys).
/// `Credentials` redacts the secret and the token in its `Debug`.
#[derive(Debug)]
pub struct Found {
    pub credentials: Credentials,
    pub origin: String,
}

/// The environment a lookup reads, injectable for tests.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// Looks for credentials; `Ok(None)` when there are none, an error when a file is unreadable
/// or a profile is incomplete (a half-configured profile should not silently mean "unsigned").
pub fn find(env: &dyn Env) -> Result<Option<Found>, String> {
    if let (Some(key), Some(secret)) = (env.var("AWS_ACCESS_KEY_ID"), env.var("AWS_SECRET_ACCESS_KEY")) {
        let token = env.var("AWS_SESSION_TOKEN");
        return Ok(Some(Found {
            credentials: Credentials::new(key, secret, token, None, "environment"),
            origin: "the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY environment variables".into(),
        }));
    }
    let profile = env.var("AWS_PROFILE").unwrap_or_else(|| "default".into());
    let home = env.var("HOME").map(PathBuf::from);
    let credentials_file = env
        .var("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".aws/credentials")));
    let config_file =
        env.var("AWS_CONFIG_FILE").map(PathBuf::from).or_else(|| home.as_ref().map(|h| h.join(".aws/config")));
    // The credentials file names sections `[name]`; the config file `[profile name]` (except default).
    for (file, section) in [
        (credentials_file, profile.clone()),
        (config_file, if profile == "default" { profile.clone() } else { format!("profile {profile}") }),
    ] {
        let Some(file) = file else { continue };
        if let Some(found) = from_file(&file, &section, &profile)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

fn from_file(file: &Path, section: &str, profile: &str) -> Result<Option<Found>, String> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", file.display())),
    };
    let Some(keys) = parse_ini(&text).remove(section) else { return Ok(None) };
    match (keys.get("aws_access_key_id"), keys.get("aws_secret_access_key")) {
        (Some(key), Some(secret)) => Ok(Some(Found {
            credentials: Credentials::new(
                key.clone(),
                secret.clone(),
                keys.get("aws_session_token").cloned(),
                None,
                "shared-profile",
            ),
            origin: format!("profile `{profile}` in {}", file.display()),
        })),
        (Some(_), None) | (None, Some(_)) => Err(format!(
            "profile `{profile}` in {} has only one of aws_access_key_id and aws_secret_access_key",
            file.display()
        )),
        (None, None) => Ok(None),
    }
}

/// The INI dialect of the AWS files: `[section]`, `key = value`, `#`/`;` comments.
fn parse_ini(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim().to_string();
            sections.entry(name.clone()).or_default();
            current = Some(name);
        } else if let (Some(section), Some((k, v))) = (&current, line.split_once('=')) {
            sections.entry(section.clone()).or_default().insert(k.trim().to_lowercase(), v.trim().to_string());
        }
    }
    sections
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct FakeEnv(HashMap<&'static str, String>);

    impl Env for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
    }

    fn env(pairs: &[(&'static str, &str)]) -> FakeEnv {
        FakeEnv(pairs.iter().map(|(k, v)| (*k, v.to_string())).collect())
    }

    #[test]
    fn environment_wins_and_carries_the_session_token() {
        let e = env(&[("AWS_ACCESS_KEY_ID", "AK"), ("AWS_SECRET_ACCESS_KEY", "SK"), ("AWS_SESSION_TOKEN", "T")]);
        let found = find(&e).unwrap().unwrap();
        assert_eq!(found.credentials.access_key_id(), "AK");
        assert_eq!(found.credentials.session_token(), Some("T"));
        assert!(!found.origin.contains("SK"));
    }

    #[test]
    fn profiles_from_the_credentials_and_config_files() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("credentials");
        let config = dir.path().join("config");
        std::fs::write(&creds, "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n# c\n").unwrap();
        std::fs::write(
            &config,
            "[profile other]\naws_access_key_id=O\naws_secret_access_key=OS\naws_session_token=OT\n",
        )
        .unwrap();
        let (c, f) = (creds.to_str().unwrap(), config.to_str().unwrap());
        let found = find(&env(&[("AWS_SHARED_CREDENTIALS_FILE", c), ("AWS_CONFIG_FILE", f)])).unwrap().unwrap();
        assert_eq!(found.credentials.access_key_id(), "D");
        let e = env(&[("AWS_SHARED_CREDENTIALS_FILE", c), ("AWS_CONFIG_FILE", f), ("AWS_PROFILE", "other")]);
        let found = find(&e).unwrap().unwrap();
        assert_eq!((found.credentials.access_key_id(), found.credentials.session_token()), ("O", Some("OT")));
        let e = env(&[("AWS_SHARED_CREDENTIALS_FILE", c), ("AWS_CONFIG_FILE", f), ("AWS_PROFILE", "none")]);
        assert!(find(&e).unwrap().is_none());
    }

    #[test]
    fn half_a_profile_is_an_error_not_unsigned() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("credentials");
        std::fs::write(&creds, "[default]\naws_access_key_id = D\n").unwrap();
        let err = find(&env(&[("AWS_SHARED_CREDENTIALS_FILE", creds.to_str().unwrap())])).unwrap_err();
        assert!(err.contains("only one of"), "{err}");
    }

    #[test]
    fn nothing_configured_means_none() {
        assert!(find(&env(&[("HOME", "/nonexistent-home")])).unwrap().is_none());
    }
}
