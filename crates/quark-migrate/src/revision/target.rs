//! Targets named on the command line: `head`, `base`, ids and prefixes, labels, relative steps,
//! and `from:to` ranges.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// Where to migrate to, as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `head`: the single head.
    Head,
    /// `heads`: every head.
    Heads,
    /// `base`: before the first revision.
    Base,
    /// `current`: the database's current revisions (history ranges, relative steps).
    Current,
    /// A full id, a unique id prefix, or a branch label.
    Revision(String),
    /// `label@head`: the head of a labelled branch.
    LabelHead(String),
    /// `label@base`: below every revision of the lines a labelled branch shares (what a
    /// downgrade to it removes).
    LabelBase(String),
    /// `label@+N`, `label@-N`: N revisions up or down a labelled branch from the current state.
    LabelRelative {
        /// The branch label.
        label: String,
        /// Positive: upgrade steps; negative: downgrade steps.
        steps: i64,
    },
    /// `+N`, `-N`, `<target>+N`, `<target>-N`: N revisions up or down from a starting point
    /// (the current revisions when none is written).
    Relative {
        /// The starting point; `None` means current.
        from: Option<Box<Target>>,
        /// Positive: upgrade steps; negative: downgrade steps.
        steps: i64,
    },
}

/// A `FROM:TO` range of revisions; either side may be left open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// The lower end (inclusive); `None` is base.
    pub from: Option<Target>,
    /// The upper end (inclusive); `None` is the heads.
    pub to: Option<Target>,
}

/// A target that could not be parsed or resolved.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TargetError {
    /// Nothing has this id, prefix or label.
    #[error("unknown revision '{0}'")]
    Unknown(String),
    /// A prefix shared by several revisions.
    #[error("'{prefix}' is ambiguous: it matches {}; give more characters", candidates.join(", "))]
    Ambiguous {
        /// The prefix given.
        prefix: String,
        /// Every revision it matches.
        candidates: Vec<String>,
    },
    /// `head` where there are several heads.
    #[error("there are several heads ({}); name one, or use 'heads' or '<label>@head'", .0.join(", "))]
    MultipleHeads(Vec<String>),
    /// `label@head` with an unknown label.
    #[error("unknown branch label '{0}'")]
    UnknownLabel(String),
    /// The set has no revisions at all.
    #[error("there are no revisions")]
    NoRevisions,
    /// Not a target at all.
    #[error(
        "'{0}' is not a target: use head, heads, base, a revision id or prefix, <label>@head, <label>@base, <label>@+N, +N, -N or <revision>+N"
    )]
    Invalid(String),
    /// A relative move that could go more than one way.
    #[error("'{target}' is ambiguous: from {from} it could go to {}; name the revision (or the branch, <label>@+N)", ways.join(" or "))]
    AmbiguousMove {
        /// The target as written.
        target: String,
        /// Where the move starts.
        from: String,
        /// The revisions it could go to, with their branch labels.
        ways: Vec<String>,
    },
    /// A history range whose ends are not on one line of descent.
    #[error(
        "the range {range} does not name revisions on one line of descent: its lower end must be an ancestor of its upper end"
    )]
    NotOneLine {
        /// The range as written.
        range: String,
    },
    /// A relative step that goes past the end of the chain.
    #[error(
        "cannot move {steps:+} revisions: only {taken} revision(s) lie {} {from}",
        if *steps > 0 { "above" } else { "below" }
    )]
    TooFar {
        /// The steps asked for.
        steps: i64,
        /// How many could be taken.
        taken: u64,
        /// Where the move started.
        from: String,
    },
}

impl fmt::Display for Target {
    /// The target as it is written on the command line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Head => f.write_str("head"),
            Target::Heads => f.write_str("heads"),
            Target::Base => f.write_str("base"),
            Target::Current => f.write_str("current"),
            Target::Revision(name) => f.write_str(name),
            Target::LabelHead(label) => write!(f, "{label}@head"),
            Target::LabelBase(label) => write!(f, "{label}@base"),
            Target::LabelRelative { label, steps } => write!(f, "{label}@{steps:+}"),
            Target::Relative { from, steps } => match from {
                Some(from) => write!(f, "{from}{steps:+}"),
                None => write!(f, "{steps:+}"),
            },
        }
    }
}

impl fmt::Display for Range {
    /// The range as it is written on the command line, `FROM:TO`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |t: &Option<Target>| t.as_ref().map(ToString::to_string).unwrap_or_default();
        write!(f, "{}:{}", side(&self.from), side(&self.to))
    }
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(s: &str) -> Result<Target, TargetError> {
        let s = s.trim();
        match s {
            "" => return Err(TargetError::Invalid(s.to_string())),
            "head" => return Ok(Target::Head),
            "heads" => return Ok(Target::Heads),
            "base" => return Ok(Target::Base),
            "current" => return Ok(Target::Current),
            _ => {}
        }
        if let Some(at) = s.rfind(['+', '-']) {
            let (from, num) = s.split_at(at);
            if num.len() > 1 && num[1..].bytes().all(|b| b.is_ascii_digit()) {
                let steps: i64 = num
                    .parse()
                    .map_err(|_| TargetError::Invalid(s.to_string()))?;
                if let Some(label) = from.strip_suffix('@') {
                    if label.is_empty() || label.contains('@') {
                        return Err(TargetError::Invalid(s.to_string()));
                    }
                    return Ok(Target::LabelRelative {
                        label: label.to_string(),
                        steps,
                    });
                }
                let from = if from.is_empty() {
                    None
                } else {
                    Some(Box::new(from.parse()?))
                };
                if matches!(
                    from.as_deref(),
                    Some(Target::Relative { .. } | Target::LabelRelative { .. })
                ) {
                    return Err(TargetError::Invalid(s.to_string()));
                }
                return Ok(Target::Relative { from, steps });
            }
        }
        if let Some((label, what)) = s.split_once('@') {
            return match what {
                "head" if !label.is_empty() => Ok(Target::LabelHead(label.to_string())),
                "base" if !label.is_empty() => Ok(Target::LabelBase(label.to_string())),
                _ => Err(TargetError::Invalid(s.to_string())),
            };
        }
        if s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            Ok(Target::Revision(s.to_string()))
        } else {
            Err(TargetError::Invalid(s.to_string()))
        }
    }
}

impl FromStr for Range {
    type Err = TargetError;

    fn from_str(s: &str) -> Result<Range, TargetError> {
        let Some((from, to)) = s.split_once(':') else {
            return Err(TargetError::Invalid(format!(
                "{s}' (a range is FROM:TO, either side may be empty)"
            )));
        };
        let side = |t: &str| {
            if t.trim().is_empty() {
                Ok(None)
            } else {
                t.parse().map(Some)
            }
        };
        Ok(Range {
            from: side(from)?,
            to: side(to)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!("head".parse(), Ok(Target::Head));
        assert_eq!("heads".parse(), Ok(Target::Heads));
        assert_eq!("base".parse(), Ok(Target::Base));
        assert_eq!("1284c8".parse(), Ok(Target::Revision("1284c8".into())));
        assert_eq!("tools@head".parse(), Ok(Target::LabelHead("tools".into())));
        assert_eq!(
            "+2".parse(),
            Ok(Target::Relative {
                from: None,
                steps: 2
            })
        );
        assert_eq!(
            "-1".parse(),
            Ok(Target::Relative {
                from: None,
                steps: -1
            })
        );
        assert_eq!(
            "head-3".parse(),
            Ok(Target::Relative {
                from: Some(Box::new(Target::Head)),
                steps: -3
            })
        );
        assert_eq!(
            "ae10+2".parse(),
            Ok(Target::Relative {
                from: Some(Box::new(Target::Revision("ae10".into()))),
                steps: 2
            })
        );
        assert_eq!(
            "my-branch".parse(),
            Ok(Target::Revision("my-branch".into()))
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "a b", "x@tail", "@head", "a;b", "+2+3"] {
            assert!(
                matches!(bad.parse::<Target>(), Err(TargetError::Invalid(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn ranges() {
        assert_eq!(
            "base:head".parse(),
            Ok(Range {
                from: Some(Target::Base),
                to: Some(Target::Head)
            })
        );
        assert_eq!(
            "ab:".parse(),
            Ok(Range {
                from: Some(Target::Revision("ab".into())),
                to: None
            })
        );
        assert_eq!(
            ":current".parse(),
            Ok(Range {
                from: None,
                to: Some(Target::Current)
            })
        );
        assert!("ab".parse::<Range>().is_err());
    }
}
