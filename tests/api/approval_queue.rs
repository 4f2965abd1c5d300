//! The approval queue's order and filter (issue 13): by person, and only the reports with a
//! flag for the approver (typed km, a phone app's review flag, …), before paging.

use serde_json::Value;

use crate::report_fixtures::{boss_queue, world};

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_queue_sorts_by_person_and_keeps_only_flagged_reports_on_request() {
    let w = world().await;
    let [lea, olga, sara] = boss_queue(&w).await;
    let [lea, olga, sara] = [&lea, &olga, &sara].map(|r| r["id"].as_i64().unwrap());
    let queue = |query: &'static str| {
        let w = &w;
        async move {
            let res = w
                .app
                .get(&format!("/api/v1/approvals{query}"), Some(&w.boss))
                .await;
            assert_eq!(res.status(), 200, "{query}");
            res.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(
        ids(&queue("").await),
        [sara, olga, lea],
        "oldest drive first"
    );
    assert_eq!(ids(&queue("?sort=person").await), [lea, olga, sara]);
    let flagged = queue("?flagged=true").await;
    assert_eq!(
        ids(&flagged),
        [sara, olga],
        "lea's routed report has no flag"
    );
    assert_eq!(flagged["total"], 2, "filtered before paging");
    assert_eq!(
        flagged["items"][1]["review_flags"][0],
        "app_distance_differs"
    );
    assert_eq!(
        ids(&queue("?flagged=true&sort=person&per_page=1&page=2").await),
        [sara]
    );
    assert_eq!(ids(&queue("?flagged=false").await).len(), 3);
    let bad = w
        .app
        .get("/api/v1/approvals?sort=name", Some(&w.boss))
        .await;
    assert_eq!(bad.status(), 400, "an unknown order is refused");
}
