//! The `neo4j-admin-csv` sink: each write encodes its records into the spool; `finish` picks
//! the array delimiter, writes the file sets and a README with the import command, and puts
//! the folder in place.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::command;
use super::encoding::{self, DELIMITERS};
use super::layout::AdminLayout;
use super::Neo4jAdminCsvConfig;
use crate::connector::bulk::{Form, Group, Kind, Layout, Property, Row, Spool, Staging};
use crate::connector::{identity_clash, ConnectorError, Conversions, CopyPlan, FailedWrite, Sink, Tally, WriteReport};
use crate::model::{Node, Relationship};

const NO_LABEL: &str = "(no label)";

/// A batch's rows by file set key, each with the source id of its first record.
type Groups<'a, K> = std::collections::BTreeMap<K, (String, Vec<Row<'a>>)>;

pub struct Neo4jAdminCsvSink {
    target: String,
    cfg: Neo4jAdminCsvConfig,
    open: Mutex<Option<(Staging, Arc<Spool>)>>,
    strict: Mutex<bool>,
    /// Which of [`DELIMITERS`] appear inside an array element or a label.
    used_delimiters: AtomicU32,
    next_steps: Mutex<Option<String>>,
}

impl Neo4jAdminCsvSink {
    pub fn new(target: &str, cfg: &Neo4jAdminCsvConfig) -> Self {
        Neo4jAdminCsvSink {
            target: target.to_string(),
            cfg: cfg.clone(),
            open: Mutex::new(None),
            strict: Mutex::new(false),
            used_delimiters: AtomicU32::new(0),
            next_steps: Mutex::new(None),
        }
    }

    fn spool(&self) -> Result<Arc<Spool>, ConnectorError> {
        let open = self.open.lock().expect("lock poisoned");
        open.as_ref()
            .map(|(_, s)| s.clone())
            .ok_or_else(|| ConnectorError::fatal("neo4j-admin-csv sink used before prepare"))
    }

    fn io(&self, action: &str, e: std::io::Error) -> ConnectorError {
        ConnectorError::fatal(format!("target `{}`: {}: cannot {action}: {e}", self.target, self.cfg.path.display()))
            .with_source(e)
    }

    /// The property cells of one record, arrays in `form`; `used` gathers the delimiters its
    /// array elements hold.
    fn properties<'a>(
        &self,
        scope: &'a str,
        id: &str,
        props: &'a crate::model::Properties,
        form: u8,
        conversions: &mut Tally<'a>,
        used: &mut u32,
    ) -> Result<Vec<Property<'a>>, ConnectorError> {
        if let Some(message) = identity_clash(scope, id, props, &self.cfg.source_id_property) {
            return Err(ConnectorError::fatal(format!("target `{}`: {message}", self.target)).with_code("IdentityClash"));
        }
        let before = conversions.total();
        let cells = encoding::encode(props, scope, form, conversions, used);
        if conversions.total() > before && *self.strict.lock().expect("lock poisoned") {
            // Encoded again to name the first conversion: the copy stops here anyway.
            let mut named = Conversions::new();
            encoding::encode(props, scope, form, &mut named, &mut 0);
            let k = named.keys().next().expect("a conversion was counted");
            return Err(ConnectorError::fatal(format!(
                "target `{}`: {scope}.{} holds a value neo4j-admin import cannot carry as is (it would become {}); \
                 --strict-types refuses it",
                self.target, k.property, k.conversion
            ))
            .with_code("StrictTypes"));
        }
        Ok(cells.into_iter().map(|(name, c)| Property { name, type_name: c.type_name, text: c.text }).collect())
    }

    /// Encodes a batch with arrays joined by the tentative delimiter, or, when an element holds
    /// it, again as JSON lists; notes the delimiters used. `encode` turns one record into its
    /// group key and row.
    fn encode_batch<'b, T, K: Ord>(
        &self,
        batch: &'b [T],
        encode: impl Fn(&'b T, u8, &mut Tally<'b>, &mut u32) -> Result<(K, String, Row<'b>), ConnectorError>,
    ) -> Result<(u8, Conversions, Groups<'b, K>), ConnectorError> {
        for form in [encoding::JOINED, encoding::JSON] {
            let mut conversions = Tally::default();
            let mut used = 0;
            let mut groups: Groups<'b, K> = Default::default();
            for record in batch {
                let (key, id, row) = encode(record, form, &mut conversions, &mut used)?;
                groups.entry(key).or_insert_with(|| (id, Vec::new())).1.push(row);
            }
            if form == encoding::JOINED && used & 1 != 0 {
                continue;
            }
            self.used_delimiters.fetch_or(used, Ordering::Relaxed);
            return Ok((form, conversions.into_conversions(), groups));
        }
        unreachable!("the JSON form is always kept")
    }

    /// The group cells a chunk is spooled with: as the final layout writes them if the first
    /// choice of delimiter stays (the spool lays them out again otherwise).
    fn form(&self, tag: u8, group: &Group) -> Form {
        let tentative = AdminLayout {
            id_property: self.cfg.source_id_property.clone(),
            identity_label: self.cfg.source_id_label.clone(),
            delimiter: encoding::TENTATIVE,
        };
        Form { tag, group_cells: tentative.group_cells(group) }
    }

    fn note_label(&self, label: &str) {
        let mut used = 0;
        for (i, d) in DELIMITERS.iter().enumerate() {
            if label.contains(*d) {
                used |= 1 << i;
            }
        }
        self.used_delimiters.fetch_or(used, Ordering::Relaxed);
    }
}

#[async_trait]
impl Sink for Neo4jAdminCsvSink {
    async fn prepare(&self, plan: &CopyPlan) -> Result<(), ConnectorError> {
        *self.open.lock().expect("lock poisoned") = Some(crate::connector::bulk::open_export(&self.target, &self.cfg.path, plan)?);
        *self.strict.lock().expect("lock poisoned") = plan.strict_types;
        self.note_label(&self.cfg.source_id_label);
        Ok(())
    }

    fn resumable(&self) -> bool {
        false
    }

    async fn write_nodes(&self, batch: &[Node]) -> Result<WriteReport, ConnectorError> {
        let spool = self.spool()?;
        let (tag, conversions, groups) = self.encode_batch(batch, |node, form, conversions, used| {
            let mut labels = node.labels.clone();
            labels.sort();
            labels.dedup();
            labels.retain(|l| *l != self.cfg.source_id_label);
            let scope = node.labels.first().map_or(NO_LABEL, String::as_str);
            let properties = self
                .properties(scope, &node.id, &node.properties, form, conversions, used)
                .map_err(|e| e.in_write(FailedWrite::nodes([node])))?;
            Ok((labels, node.id.clone(), Row { system: vec![node.id.as_str().into()], properties }))
        })?;
        for (names, (first, rows)) in groups {
            names.iter().for_each(|l| self.note_label(l));
            let group = Group { kind: Kind::Nodes, names };
            spool.append(&group, &first, &self.form(tag, &group), &rows).map_err(|e| self.io("spool nodes", e))?;
        }
        Ok(WriteReport { conversions })
    }

    async fn write_relationships(&self, batch: &[Relationship]) -> Result<WriteReport, ConnectorError> {
        let spool = self.spool()?;
        let (tag, conversions, groups) = self.encode_batch(batch, |rel, form, conversions, used| {
            let properties = self
                .properties(&rel.rel_type, &rel.id, &rel.properties, form, conversions, used)
                .map_err(|e| e.in_write(FailedWrite::relationships([rel])))?;
            let row = Row {
                system: vec![rel.id.as_str().into(), rel.start.as_str().into(), rel.end.as_str().into()],
                properties,
            };
            Ok((rel.rel_type.as_str(), rel.id.clone(), row))
        })?;
        for (rel_type, (first, rows)) in groups {
            let group = Group { kind: Kind::Relationships, names: vec![rel_type.to_string()] };
            spool.append(&group, &first, &self.form(tag, &group), &rows).map_err(|e| self.io("spool relationships", e))?;
        }
        Ok(WriteReport { conversions })
    }

    async fn finish(&self) -> Result<(), ConnectorError> {
        let (staging, spool) = self
            .open
            .lock()
            .expect("lock poisoned")
            .take()
            .ok_or_else(|| ConnectorError::fatal("neo4j-admin-csv sink finished twice"))?;
        let spool = Arc::try_unwrap(spool).map_err(|_| ConnectorError::fatal("neo4j-admin-csv sink finished while writing"))?;
        let used = self.used_delimiters.load(Ordering::Relaxed);
        let delimiter = DELIMITERS.iter().enumerate().find(|(i, _)| used & (1 << i) == 0).map(|(_, d)| *d).ok_or_else(|| {
            ConnectorError::fatal(format!(
                "target `{}`: array elements and labels hold every array delimiter graphferry can choose ({:?}); \
                 neo4j-admin import could not split them back",
                self.target, DELIMITERS
            ))
        })?;
        let layout = AdminLayout {
            id_property: self.cfg.source_id_property.clone(),
            identity_label: self.cfg.source_id_label.clone(),
            delimiter,
        };
        let root = staging.path().to_path_buf();
        let parts = self.cfg.parts;
        let sets = tokio::task::spawn_blocking(move || spool.finish(&layout, &root, parts))
            .await
            .map_err(|e| ConnectorError::fatal(format!("writing the files stopped: {e}")))?
            .map_err(|e| self.io("write the files", e))?;
        let command = command::command(&self.cfg, &sets, staging.path(), delimiter);
        command::write_readme(staging.path(), &self.cfg, &sets, &command).map_err(|e| self.io("write README.md", e))?;
        staging.commit().map_err(|e| self.io("put the export in place", e))?;
        let cd = format!("cd '{}'", self.cfg.path.display().to_string().replace('\'', "'\\''"));
        *self.next_steps.lock().expect("lock poisoned") = Some(format!("{cd}\n{command}"));
        Ok(())
    }

    fn next_steps(&self) -> Option<String> {
        self.next_steps.lock().expect("lock poisoned").clone()
    }
}
