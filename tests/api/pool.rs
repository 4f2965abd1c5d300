//! The connection pool after a panic inside a transaction: the connection that panicked is not
//! given to the next caller still inside that transaction.

use korsel::db::{app_settings, write_transaction, Database};
use korsel::error::Error;

use crate::helpers::TestDb;

#[tokio::test]
async fn a_panic_inside_a_transaction_leaves_the_next_connection_clean() {
    let test_db = TestDb::new();
    let db = Database::connect(&test_db.url).unwrap();
    db.migrate().unwrap();
    for round in 0..3 {
        let panicked = db
            .run(move |c| {
                write_transaction(c, |c| -> Result<(), Error> {
                    app_settings::get_or_insert(c, &format!("lost-{round}"), "uncommitted")?;
                    panic!("a bug inside a transaction");
                })
            })
            .await;
        assert!(
            panicked.is_err(),
            "the panic reaches the caller as an error"
        );

        // The next work outside any transaction must commit at once, as on a clean connection:
        // on the panicked one it would run inside the open transaction (and, on SQLite, hold the
        // write lock), unseen by every other connection.
        let key = format!("kept-{round}");
        let stored_key = key.clone();
        db.run(move |c| Ok(app_settings::get_or_insert(c, &stored_key, "committed")?))
            .await
            .unwrap();
        let mut other = test_db.connect();
        assert_eq!(
            app_settings::get(&mut other, &key).unwrap().as_deref(),
            Some("committed"),
            "round {round}: the write after the panic is committed and visible"
        );
        assert_eq!(
            app_settings::get(&mut other, &format!("lost-{round}")).unwrap(),
            None,
            "round {round}: the panicked transaction was rolled back"
        );
    }
}
