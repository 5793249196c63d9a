//! The export folder and its atomic replacement: everything is written into a staging folder
//! beside the target (`<path>.graphferry-staging`), which replaces the target only once every
//! file is complete. A failed or interrupted export leaves the previous folder untouched and
//! removes its staging folder.

use std::io;
use std::path::{Path, PathBuf};

pub struct Staging {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl Staging {
    /// Starts afresh: a staging folder left by an interrupted run is removed first.
    pub fn create(target: &Path) -> io::Result<Staging> {
        let staging = sibling(target, "graphferry-staging");
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        std::fs::create_dir_all(&staging)?;
        Ok(Staging { target: target.to_path_buf(), staging, committed: false })
    }

    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Puts the staging folder in the target's place. The old folder is first renamed aside,
    /// then removed: at every instant the target path holds either the old or the new export.
    pub fn commit(mut self) -> io::Result<()> {
        let old = sibling(&self.target, "graphferry-old");
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        let had_old = self.target.exists();
        if had_old {
            std::fs::rename(&self.target, &old)?;
        }
        if let Err(e) = std::fs::rename(&self.staging, &self.target) {
            if had_old {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(e);
        }
        self.committed = true;
        if had_old {
            std::fs::remove_dir_all(&old)?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

fn sibling(target: &Path, suffix: &str) -> PathBuf {
    let mut name = target.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "export".into());
    name.push(format!(".{suffix}"));
    target.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_replaces_the_folder_and_a_dropped_staging_leaves_it_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("old.csv"), "old").unwrap();

        let abandoned = Staging::create(&target).unwrap();
        std::fs::write(abandoned.path().join("new.csv"), "new").unwrap();
        drop(abandoned);
        assert!(target.join("old.csv").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no staging folder left");

        let staging = Staging::create(&target).unwrap();
        std::fs::write(staging.path().join("new.csv"), "new").unwrap();
        staging.commit().unwrap();
        assert!(!target.join("old.csv").exists());
        assert!(target.join("new.csv").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
