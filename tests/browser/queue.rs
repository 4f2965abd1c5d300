//! The approver's queue ordered by person and filtered to flagged reports, and a phone app's
//! review flag shown in Danish in the queue and on the report (issues 13 and 14).

use crate::browser::run;
use crate::report_fixtures::boss_queue;
use crate::world::{id, world, PASSWORD};

#[tokio::test]
async fn the_queue_is_sorted_by_person_filtered_to_flagged_and_shows_app_flags() {
    let w = world(|_| {}).await;
    let [lea, olga, sara] = boss_queue(&w).await;
    let [lea, olga, sara] = [id(&lea), id(&olga), id(&sara)];
    let base = w.app.address.clone();
    run("queue order and flags", &base, move |b| async move {
        b.sign_in("boss", PASSWORD).await;
        b.goto("/godkendelse").await;
        let flags = b.texts("tbody tr td:last-child").await;
        assert_eq!(
            flags,
            [
                "Aflæste km",
                "Appens km afviger fra den beregnede afstand",
                ""
            ],
            "sara's typed km, olga's app flag, lea's none"
        );
        b.click("#sortering option[value=person]").await;
        b.follow(".filters button[type=submit]").await;
        assert_eq!(
            b.texts("tbody tr td:nth-child(2)").await,
            ["lea Hansen", "olga Hansen", "sara Hansen"]
        );
        b.check_page("godkendelse-efter-person").await;

        b.click("#markeret").await;
        b.follow(".filters button[type=submit]").await;
        assert!(b.path().await.contains("markeret=1"));
        assert!(b.find("#markeret").await.is_selected().await.unwrap());
        let shown: Vec<String> = b.texts("tbody tr td:nth-child(2)").await;
        assert_eq!(shown, ["olga Hansen", "sara Hansen"], "lea's has no flag");
        assert!(!b.exists(&format!("a[href='/indberetninger/{lea}']")).await);
        b.check_page("godkendelse-kun-markerede").await;

        b.follow(&format!("a[href='/indberetninger/{olga}']")).await;
        let flags = b.text("ul.flags").await;
        assert!(
            flags.contains("Appens km afviger fra den beregnede afstand"),
            "{flags}"
        );
        b.check_page("godkendelse-app-markering").await;
        assert!(
            b.exists(".decision").await,
            "boss may decide on {sara} and {olga}"
        );

        // The morning digest is on until the approver turns it off on "Beskeder".
        b.follow("a[href='/beskeder']").await;
        assert!(b.find("#morgenoversigt").await.is_selected().await.unwrap());
        b.check_page("beskeder").await;
        b.click("#morgenoversigt").await;
        b.follow("form[action='/beskeder'] button[type=submit]")
            .await;
        assert_eq!(b.path().await, "/beskeder?besked=beskeder-gemt");
        assert!(b
            .body()
            .await
            .contains("Dine indstillinger for beskeder er gemt."));
        b.goto("/beskeder").await;
        assert!(!b.find("#morgenoversigt").await.is_selected().await.unwrap());
    })
    .await;
}
