//! The `neptune-csv` sink: each write encodes its records with the `neptune` target's value
//! encoding and `~id`s, into the spool; `finish` writes the file sets, `load.json` and a
//! README with the load commands, and puts the folder in place.
//!
//! Ids: a node's `:ID` is the `~id` the query path gives it ([`identity`]): its nodestream id
//! when the migrations declare keys for one of its labels, else its source id. A relationship's
//! `:ID` is its source id, always written, so the loader's `userProvidedEdgeIds` lets a failed
//! load resume; its `:START_ID`/`:END_ID` are its endpoints' `~id`s. So a later query-based copy
//! into the loaded graph updates the same nodes and relationships.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use async_trait::async_trait;
use serde_json::Value as Json;

use super::layout::{unusable_label, unusable_name, NeptuneLayout};
use super::load;
use super::NeptuneCsvConfig;
use crate::connector::bulk::{Form, Group, Kind, Layout, Property, Row, Spool, Staging};
use crate::connector::keyed::{node_identity, NodeIdentity};
use crate::connector::neptune::encoding::{encode_counted, Encoded, Refused};
use crate::connector::neptune::identity::node_id;
use crate::connector::{ConnectorError, CopyPlan, CountConversion, FailedWrite, Sink, Tally, WriteReport};
use crate::model::{Node, Relationship, Value};

const NO_LABEL: &str = "(no label)";

pub struct NeptuneCsvSink {
    target: String,
    cfg: NeptuneCsvConfig,
    open: Mutex<Option<(Staging, Arc<Spool>)>>,
    plan: RwLock<Option<CopyPlan>>,
    /// Source id → `~id` of nodes identified by their keys, so relationships find them.
    keyed_ids: RwLock<HashMap<String, String>>,
    next_steps: Mutex<Option<String>>,
}

impl NeptuneCsvSink {
    pub fn new(target: &str, cfg: &NeptuneCsvConfig) -> Self {
        NeptuneCsvSink {
            target: target.to_string(),
            cfg: cfg.clone(),
            open: Mutex::new(None),
            plan: RwLock::new(None),
            keyed_ids: RwLock::new(HashMap::new()),
            next_steps: Mutex::new(None),
        }
    }

    fn spool(&self) -> Result<Arc<Spool>, ConnectorError> {
        let open = self.open.lock().expect("lock poisoned");
        open.as_ref().map(|(_, s)| s.clone()).ok_or_else(|| ConnectorError::fatal("neptune-csv sink used before prepare"))
    }

    fn plan(&self) -> Result<CopyPlan, ConnectorError> {
        self.plan.read().expect("lock poisoned").clone().ok_or_else(|| ConnectorError::fatal("neptune-csv sink used before prepare"))
    }

    fn io(&self, action: &str, e: std::io::Error) -> ConnectorError {
        ConnectorError::fatal(format!("target `{}`: {}: cannot {action}: {e}", self.target, self.cfg.path.display()))
            .with_source(e)
    }

    fn refused(&self, scope: &str, r: Refused) -> ConnectorError {
        ConnectorError::fatal(format!(
            "target `{}`: {scope}.{} holds a {} value, which Neptune cannot store as is (it would become {}); --strict-types refuses it",
            self.target, r.property, r.type_name, r.conversion
        ))
        .with_code("StrictTypes")
    }

    fn unusable(&self, what: &str, scope: &str, name: &str, why: &str) -> ConnectorError {
        ConnectorError::fatal(format!(
            "target `{}`: {what} `{name}` of {scope} holds {why}; it cannot be exported to Neptune's CSV (copy it through \
             the query path, `database: neptune`, or rename it in the source)",
            self.target
        ))
        .with_code("UnsupportedName")
    }

    /// The property cells of one record of `scope`, encoded as the query path encodes them.
    fn properties<'a>(
        &self,
        props: &'a crate::model::Properties,
        scope: &'a str,
        strict: bool,
        conversions: &mut Tally<'a>,
    ) -> Result<Vec<Property<'a>>, ConnectorError> {
        if let Some((name, why)) = props.keys().find_map(|k| unusable_name(k).map(|why| (k, why))) {
            return Err(self.unusable("property", scope, name, why));
        }
        // Straight from each value to its cell, in name order (properties are sorted by name).
        let mut cells = Vec::with_capacity(props.len());
        for (name, value) in props {
            if let Value::String(s) = value {
                // Sent as it is (no conversion to count): borrowed, not copied.
                cells.push(Property { name, type_name: Cow::Borrowed("String"), text: Cow::Borrowed(s) });
                continue;
            }
            let encoded = encode_counted(name, value, scope, self.cfg.temporal_encoding, strict, conversions)
                .map_err(|r| self.refused(scope, r))?;
            let (type_name, text) = match encoded {
                Encoded::Omitted => continue,
                Encoded::Json(Json::Bool(b)) => ("Bool", b.to_string()),
                Encoded::Json(Json::Number(n)) if n.is_i64() => ("Long", n.to_string()),
                // `{:?}`: the shortest text that reads back as the same double, exponent included.
                Encoded::Json(Json::Number(n)) => ("Double", format!("{:?}", n.as_f64().expect("a JSON number is an f64"))),
                Encoded::Json(Json::String(s)) => ("String", s),
                Encoded::Json(other) => unreachable!("the Neptune encoding sends only scalars, got {other}"),
                Encoded::DateTime(text) => ("DateTime", datetime_cell(text)),
            };
            cells.push(Property { name, type_name: Cow::Borrowed(type_name), text: Cow::Owned(text) });
        }
        Ok(cells)
    }
}

/// `yyyy-MM-ddTHH:mm:ss.SSSZ` as the load format writes it: the Database loader's documented
/// forms end at `yyyy-MM-ddTHH:mm:ssZ` (NEPTUNE.md), so whole seconds drop the fraction; other
/// values keep their milliseconds (the form Neptune Analytics' loader lists,
/// https://docs.aws.amazon.com/neptune-analytics/latest/userguide/csv-column-types.html).
fn datetime_cell(mut text: String) -> String {
    if text.ends_with(".000Z") {
        text.truncate(text.len() - ".000Z".len());
        text.push('Z');
    }
    text
}

#[async_trait]
impl Sink for NeptuneCsvSink {
    async fn prepare(&self, plan: &CopyPlan) -> Result<(), ConnectorError> {
        *self.open.lock().expect("lock poisoned") = Some(crate::connector::bulk::open_export(&self.target, &self.cfg.path, plan)?);
        *self.plan.write().expect("lock poisoned") = Some(plan.clone());
        Ok(())
    }

    fn resumable(&self) -> bool {
        false
    }

    async fn write_nodes(&self, batch: &[Node]) -> Result<WriteReport, ConnectorError> {
        let plan = self.plan()?;
        let spool = self.spool()?;
        let mut conversions = Tally::default();
        let mut groups: std::collections::BTreeMap<Vec<String>, (String, Vec<Row>)> = Default::default();
        for node in batch {
            let identity = node_identity(node, &plan.node_keys, plan.missing_key, &self.target)?;
            let scope = match identity {
                NodeIdentity::Keys { label, .. } => label,
                NodeIdentity::SourceId => node.labels.first().map_or(NO_LABEL, String::as_str),
            };
            let mut labels = node.labels.clone();
            labels.sort();
            labels.dedup();
            if let Some((label, why)) = labels.iter().find_map(|l| unusable_label(l).map(|w| (l, w))) {
                return Err(self.unusable("label", "a node", label, why).in_write(FailedWrite::nodes([node])));
            }
            if labels.is_empty() {
                conversions.count(NO_LABEL, "(labels)", "no label -> `vertex` (Neptune's default label)");
            }
            let properties = self
                .properties(&node.properties, scope, plan.strict_types, &mut conversions)
                .map_err(|e| e.in_write(FailedWrite::nodes([node])))?;
            let id = node_id(node, identity);
            if id != node.id {
                self.keyed_ids.write().expect("lock poisoned").insert(node.id.clone(), id.clone());
            }
            let entry = groups.entry(labels).or_insert_with(|| (node.id.clone(), Vec::new()));
            entry.1.push(Row { system: vec![id.into()], properties });
        }
        for (names, (first, rows)) in groups {
            let group = Group { kind: Kind::Nodes, names };
            let form = Form { tag: 0, group_cells: NeptuneLayout.group_cells(&group) };
            spool.append(&group, &first, &form, &rows).map_err(|e| self.io("spool nodes", e))?;
        }
        Ok(WriteReport { conversions: conversions.into_conversions() })
    }

    async fn write_relationships(&self, batch: &[Relationship]) -> Result<WriteReport, ConnectorError> {
        let plan = self.plan()?;
        let spool = self.spool()?;
        let mut conversions = Tally::default();
        let mut groups: std::collections::BTreeMap<&str, (String, Vec<Row>)> = Default::default();
        {
            let keyed = self.keyed_ids.read().expect("lock poisoned");
            fn id_of<'a>(keyed: &HashMap<String, String>, source: &'a str) -> Cow<'a, str> {
                keyed.get(source).map_or(Cow::Borrowed(source), |id| Cow::Owned(id.clone()))
            }
            for rel in batch {
                let properties = self
                    .properties(&rel.properties, &rel.rel_type, plan.strict_types, &mut conversions)
                    .map_err(|e| e.in_write(FailedWrite::relationships([rel])))?;
                let entry = groups.entry(&rel.rel_type).or_insert_with(|| (rel.id.clone(), Vec::new()));
                entry.1.push(Row { system: vec![rel.id.as_str().into(), id_of(&keyed, &rel.start), id_of(&keyed, &rel.end)], properties });
            }
        }
        for (rel_type, (first, rows)) in groups {
            let group = Group { kind: Kind::Relationships, names: vec![rel_type.to_string()] };
            let form = Form { tag: 0, group_cells: NeptuneLayout.group_cells(&group) };
            spool.append(&group, &first, &form, &rows).map_err(|e| self.io("spool relationships", e))?;
        }
        Ok(WriteReport { conversions: conversions.into_conversions() })
    }

    async fn finish(&self) -> Result<(), ConnectorError> {
        let (staging, spool) =
            self.open.lock().expect("lock poisoned").take().ok_or_else(|| ConnectorError::fatal("neptune-csv sink finished twice"))?;
        let spool = Arc::try_unwrap(spool).map_err(|_| ConnectorError::fatal("neptune-csv sink finished while writing"))?;
        let root = staging.path().to_path_buf();
        let parts = self.cfg.parts;
        let sets = tokio::task::spawn_blocking(move || spool.finish(&NeptuneLayout, &root, parts))
            .await
            .map_err(|e| ConnectorError::fatal(format!("writing the files stopped: {e}")))?
            .map_err(|e| self.io("write the files", e))?;
        load::write(staging.path(), &self.cfg, &sets).map_err(|e| self.io("write load.json", e))?;
        staging.commit().map_err(|e| self.io("put the export in place", e))?;
        *self.next_steps.lock().expect("lock poisoned") = Some(load::commands(&self.cfg));
        Ok(())
    }

    fn next_steps(&self) -> Option<String> {
        self.next_steps.lock().expect("lock poisoned").clone()
    }
}
