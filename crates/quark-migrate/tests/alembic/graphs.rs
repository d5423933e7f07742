//! The graphs that `alembic.rs` runs through our command line and through Alembic, the
//! commands run on each, and where we differ from Alembic on purpose.

/// One revision: id, parents, branch labels, dependencies.
pub struct Rev(
    pub &'static str,
    pub &'static [&'static str],
    pub &'static [&'static str],
    pub &'static [&'static str],
);

/// A graph and the commands run on it, each after its setup commands on a fresh database.
pub struct Graph {
    pub name: &'static str,
    pub revisions: Vec<Rev>,
    pub cases: Vec<(Vec<&'static str>, &'static str)>,
}

/// How we differ from Alembic on purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Difference {
    /// We refuse, naming the ways, where Alembic picks one (and warns that it will refuse).
    WeRefuse,
    /// The move has one way (two heads up to their merge, a merge down to its parents), and
    /// we take it; Alembic refuses to walk it.
    UniqueMove,
}

/// The deliberate differences: graph, setup, command, kind, and why (docs/migration-format.md
/// lists the same).
pub const DIFFERENCES: &[(&str, &str, &str, Difference, &str)] = &[
    (
        "branches",
        "upgrade l2; upgrade r3",
        "upgrade +1",
        Difference::UniqueMove,
        "from two heads the only next revision is their merge",
    ),
    (
        "branches",
        "upgrade l2; upgrade r3",
        "upgrade +2",
        Difference::UniqueMove,
        "the merge m4, then m5",
    ),
    (
        "branches",
        "upgrade m4",
        "downgrade -1",
        Difference::UniqueMove,
        "reverting the merge is the only way down",
    ),
    (
        "branches",
        "upgrade m4",
        "downgrade left@-1",
        Difference::UniqueMove,
        "reverting the merge is the only way down the left branch",
    ),
    (
        "branches",
        "upgrade heads",
        "downgrade -2",
        Difference::UniqueMove,
        "m5 then the merge m4: one way each",
    ),
    (
        "branches",
        "upgrade l2; upgrade r2",
        "downgrade -1",
        Difference::WeRefuse,
        "two heads: Alembic reverts the first listed and warns that this will be refused",
    ),
    (
        "branches",
        "upgrade l2; upgrade r3",
        "downgrade -1",
        Difference::WeRefuse,
        "two heads: Alembic reverts the first listed and warns that this will be refused",
    ),
    (
        "branches",
        "upgrade l2; upgrade r2",
        "downgrade left@-3",
        Difference::WeRefuse,
        "a3 is needed by the right branch: Alembic reverts r1 and r2 too, revisions of another branch than the one named",
    ),
    (
        "twobases",
        "upgrade zeta@head; upgrade ypsilon@head",
        "downgrade -1",
        Difference::WeRefuse,
        "two heads: Alembic reverts the first listed and warns that this will be refused",
    ),
];

pub fn graphs() -> Vec<Graph> {
    vec![
        Graph {
            name: "branches",
            revisions: vec![
                Rev("a1", &[], &[], &[]),
                Rev("a2", &["a1"], &[], &[]),
                Rev("a3", &["a2"], &[], &[]),
                Rev("l1", &["a3"], &["left"], &[]),
                Rev("l2", &["l1"], &[], &[]),
                Rev("r1", &["a3"], &["right"], &[]),
                Rev("r2", &["r1"], &[], &[]),
                Rev("r3", &["r2"], &[], &[]),
                Rev("m4", &["l2", "r3"], &[], &[]),
                Rev("m5", &["m4"], &[], &[]),
            ],
            cases: cases(&[
                (
                    &[],
                    &[
                        "upgrade head",
                        "upgrade heads",
                        "upgrade +1",
                        "upgrade +2",
                        "upgrade +4",
                        "upgrade a3+1",
                        "upgrade a1+2",
                        "upgrade l1+1",
                        "upgrade l2+1",
                        "upgrade r1+2",
                        "upgrade left@head",
                        "upgrade left@+1",
                        "upgrade right@+3",
                        "upgrade right@+4",
                        "upgrade l2",
                        "upgrade m4",
                        "upgrade base",
                        "downgrade -1",
                        "stamp l1",
                        "stamp heads",
                        "stamp left@head",
                        "history",
                        "history -r a2:l2",
                        "history -r l1:",
                        "history -r :l1",
                        "history -r l1:r3",
                        "history -r r2:m5",
                        "heads",
                        "branches",
                    ],
                ),
                (
                    &["upgrade a3"],
                    &[
                        "upgrade +1",
                        "upgrade +2",
                        "upgrade left@+1",
                        "upgrade right@+2",
                        "upgrade a2+1",
                        "upgrade l1",
                        "upgrade head",
                        "downgrade -1",
                        "downgrade -3",
                        "downgrade -4",
                        "downgrade a1",
                        "downgrade base",
                        "downgrade head-3",
                        "downgrade a3-1",
                        "stamp r1",
                        "stamp base",
                        "history -r current:",
                        "history -r :current",
                        "history -r -1:current",
                    ],
                ),
                (
                    &["upgrade l2"],
                    &[
                        "upgrade +1",
                        "upgrade right@+1",
                        "upgrade left@+1",
                        "upgrade head",
                        "downgrade -1",
                        "downgrade -2",
                        "downgrade left@-1",
                        "downgrade left@-2",
                        "downgrade left@base",
                        "downgrade right@base",
                        "stamp r2",
                        "stamp r1",
                        "stamp a2",
                        "stamp l1",
                        "stamp m4",
                        "history -r current:",
                    ],
                ),
                (
                    &["upgrade l2", "upgrade r2"],
                    &[
                        "upgrade +1",
                        "upgrade right@+1",
                        "upgrade right@+2",
                        "upgrade left@+1",
                        "upgrade heads",
                        "downgrade -1",
                        "downgrade left@-1",
                        "downgrade left@-2",
                        "downgrade left@-3",
                        "downgrade right@-1",
                        "downgrade right@-2",
                        "downgrade left@base",
                        "downgrade right@base",
                        "downgrade a3",
                        "downgrade l1",
                        "downgrade r1",
                        "stamp r1",
                        "stamp a2",
                        "stamp heads",
                        "stamp base",
                        "stamp m5",
                        "stamp l1",
                        "history -r current:",
                        "history -r -1:current",
                    ],
                ),
                (
                    &["upgrade l2", "upgrade r3"],
                    &[
                        "upgrade +1",
                        "upgrade +2",
                        "upgrade left@+1",
                        "downgrade -1",
                        "downgrade l2-1",
                        "stamp r1",
                        "stamp m4",
                    ],
                ),
                (
                    &["upgrade m4"],
                    &[
                        "upgrade +1",
                        "downgrade -1",
                        "downgrade -2",
                        "downgrade left@-1",
                        "downgrade m4-1",
                        "downgrade head-1",
                        "stamp l1",
                        "stamp r2",
                        "history -r -2:current",
                        "history -r current:",
                    ],
                ),
                (
                    &["upgrade heads"],
                    &[
                        "downgrade -1",
                        "downgrade -2",
                        "downgrade -3",
                        "downgrade head-2",
                        "downgrade l2-1",
                        "downgrade r3",
                        "downgrade left@-1",
                        "downgrade left@base",
                        "downgrade base",
                        "stamp l2",
                        "stamp a3",
                    ],
                ),
            ]),
        },
        Graph {
            name: "twobases",
            revisions: vec![
                Rev("z1", &[], &["zeta"], &[]),
                Rev("z2", &["z1"], &[], &[]),
                Rev("z3", &["z2"], &[], &[]),
                Rev("y1", &[], &["ypsilon"], &[]),
                Rev("y2", &["y1"], &[], &[]),
            ],
            cases: cases(&[
                (
                    &[],
                    &[
                        "upgrade heads",
                        "upgrade +1",
                        "upgrade z2+1",
                        "upgrade z1+1",
                        "upgrade y1+1",
                        "upgrade zeta@+2",
                        "upgrade ypsilon@+1",
                        "upgrade zeta@head",
                        "upgrade head",
                        "stamp y1",
                        "stamp heads",
                        "history",
                        "history -r z1:z3",
                        "history -r z1:y2",
                        "history -r :y2",
                        "heads",
                        "branches",
                    ],
                ),
                (
                    &["upgrade z3"],
                    &[
                        "upgrade +1",
                        "upgrade z1+1",
                        "upgrade ypsilon@+1",
                        "upgrade ypsilon@+2",
                        "upgrade heads",
                        "downgrade -1",
                        "downgrade zeta@-1",
                        "downgrade zeta@base",
                        "downgrade ypsilon@base",
                        "stamp y2",
                        "stamp z1",
                        "history -r current:",
                    ],
                ),
                (
                    &["upgrade zeta@head", "upgrade ypsilon@head"],
                    &[
                        "downgrade -1",
                        "downgrade zeta@-1",
                        "downgrade ypsilon@-2",
                        "downgrade ypsilon@base",
                        "downgrade zeta@base",
                        "downgrade base",
                        "downgrade y1",
                        "stamp z2",
                        "stamp base",
                        "upgrade +1",
                    ],
                ),
            ]),
        },
        Graph {
            name: "depends",
            revisions: vec![
                Rev("p1", &[], &["pbr"], &[]),
                Rev("p2", &["p1"], &[], &[]),
                Rev("p3", &["p2"], &[], &[]),
                Rev("q1", &[], &["qbr"], &[]),
                Rev("q2", &["q1"], &[], &["p2"]),
                Rev("q3", &["q2"], &[], &[]),
            ],
            cases: cases(&[
                (
                    &[],
                    &[
                        "upgrade q2",
                        "upgrade qbr@head",
                        "upgrade heads",
                        "upgrade +1",
                        "upgrade q1+1",
                        "upgrade qbr@+2",
                        "history",
                        "history -r p2:",
                        "history -r :q2",
                        "history -r q1:q3",
                        "heads",
                    ],
                ),
                (
                    &["upgrade heads"],
                    &[
                        "downgrade p1",
                        "downgrade p2",
                        "downgrade q1",
                        "downgrade pbr@-1",
                        "downgrade qbr@-1",
                        "downgrade qbr@base",
                        "downgrade base",
                    ],
                ),
                (
                    &["upgrade q3"],
                    &[
                        "downgrade qbr@base",
                        "downgrade pbr@base",
                        "downgrade -1",
                        "upgrade +1",
                        "upgrade pbr@+1",
                        "stamp p3",
                    ],
                ),
                (
                    &["upgrade p1"],
                    &[
                        "upgrade +1",
                        "upgrade qbr@+1",
                        "upgrade qbr@+2",
                        "upgrade q2",
                    ],
                ),
                (
                    &["upgrade p2"],
                    &["upgrade qbr@+2", "stamp q3", "downgrade -1"],
                ),
            ]),
        },
    ]
}

fn cases(groups: &[(&[&'static str], &[&'static str])]) -> Vec<(Vec<&'static str>, &'static str)> {
    groups
        .iter()
        .flat_map(|(setup, commands)| commands.iter().map(|c| (setup.to_vec(), *c)))
        .collect()
}
