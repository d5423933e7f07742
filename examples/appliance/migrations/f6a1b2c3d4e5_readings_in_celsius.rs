//! readings in celsius
//!
//! Revision ID: f6a1b2c3d4e5
//! Revises: e5f6a1b2c3d4
//! Create Date: 2026-11-25 10:00:00

// Readings taken in Fahrenheit become Celsius, rounded to the nearest degree: a data migration
// written in Rust, run in the revision's transaction. The downgrade leaves them in Celsius,
// which the previous schema accepts as well.

use quark_migrate::backend::Value;
use quark_migrate::code::{CodeError, Db};

pub fn upgrade(db: &mut Db<'_>) -> Result<(), CodeError> {
    let rows = db.query(
        "SELECT id, value FROM readings WHERE unit = ?",
        &[Value::from("F")],
    )?;
    for row in rows {
        let (Some(id), Some(fahrenheit)) = (row[0].as_int(), row[1].as_int()) else {
            return Err(CodeError::msg(format!("reading {:?} has no value", row[0])));
        };
        // (F - 32) * 5 / 9, rounded half away from zero.
        let n = (fahrenheit - 32) * 5;
        let celsius = (2 * n + 9 * n.signum()) / 18;
        db.execute(
            "UPDATE readings SET value = ?, unit = 'C' WHERE id = ?",
            &[Value::Int(celsius), Value::Int(id)],
        )?;
    }
    Ok(())
}

pub fn downgrade(_db: &mut Db<'_>) -> Result<(), CodeError> {
    Ok(())
}
