//! End-to-end: the retry view simulates a policy, then runs it for real
//! against the relay's HTTP lab `/flaky`; the real run's timeline follows
//! the simulated one (same seed, same waits). Every request goes to the
//! lab on loopback.

mod support;

use support::{Browser, Page, Relay};

#[tokio::test]
async fn a_real_retry_run_against_flaky_draws_its_timeline() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = run_for_real(&page, &relay.url).await;
    let shot = page
        .screenshot_of(
            "section.retry",
            &support::target_dir().join("e2e/retry.png"),
        )
        .await;
    browser.close().await;
    outcome.and(shot).unwrap_or_else(|e| panic!("{e}"));
}

/// How each attempt of a run's steps ended (`attempt 1: timed out`), in
/// order.
fn endings(steps: &str) -> Vec<String> {
    steps
        .lines()
        .filter_map(|line| {
            // `   59 ms attempt 2: timed out after 400 ms`; the summary line
            // (`200 on attempt 3 after …`) has no colon.
            let line = line.trim();
            let start = line.find("attempt ")?;
            let ending = line[start..].split(" after ").next()?;
            ending.contains(':').then(|| ending.to_owned())
        })
        .collect()
}

/// The `backoff …` lines of a run's steps, in order.
fn backoffs(steps: &str) -> Vec<String> {
    steps
        .lines()
        .filter_map(|line| {
            line.trim()
                .split_once(" backoff ")
                .map(|(_, w)| w.to_owned())
        })
        .collect()
}

async fn run_for_real(page: &Page<'_>, url: &str) -> Result<(), String> {
    page.open(url).await?;
    page.wait_text_is("#relay-status", "connected").await?;

    // An attempt timeout of a second, so the real run's quick answers
    // finish in time however loaded the machine; seed 8570 then simulates
    // a timeout, a 500 and a 200.
    page.wait_text_contains("#retry-runs .retry-summary", "200 on attempt 3")
        .await?;
    page.set_value("#retry-timeout", "1000").await?;
    page.type_into("#retry-seed", "8570").await?;
    page.wait("the simulation of seed 8570", async || {
        let steps = page
            .text("#retry-runs li:nth-child(1) .retry-steps")
            .await?;
        if steps.contains("attempt 1: timed out after 1 s") && steps.contains("200 on attempt 3") {
            Ok(())
        } else {
            Err(steps)
        }
    })
    .await?;
    let simulated = page
        .text("#retry-runs li:nth-child(1) .retry-steps")
        .await?;

    page.click("button#retry-run").await?;
    let real = page
        .wait_text_contains("#retry-runs li:nth-child(2)", "200 on attempt 3")
        .await?;
    if !real.starts_with("real, op ") || !real.contains("GET /flaky?key=page-") {
        return Err(format!("the real run is not labelled as such: {real}"));
    }
    // Each attempt ends as simulated: the simulated timeout is a real one
    // (/flaky answered slowly, the relay's attempt timeout ended it), not a
    // fast 500.
    let real_steps = page
        .text("#retry-runs li:nth-child(2) .retry-steps")
        .await?;
    let wanted = endings(&simulated);
    if !wanted.iter().any(|e| e.ends_with(": timed out"))
        || !wanted.iter().any(|e| e.ends_with(": 500"))
        || wanted.last().map(String::as_str) != Some("attempt 3: 200")
    {
        return Err(format!(
            "the default simulation is not a timeout, a 500 and a 200: {simulated}"
        ));
    }
    if endings(&real_steps) != wanted {
        return Err(format!(
            "the real run's attempts do not end as simulated:\nsimulated:\n{simulated}\nreal:\n{real_steps}"
        ));
    }
    // Same seed, same waits: the relay slept what the page simulated.
    if backoffs(&real_steps) != backoffs(&simulated) || backoffs(&simulated).len() != 2 {
        return Err(format!(
            "waits differ:\nsimulated:\n{simulated}\nreal:\n{real_steps}"
        ));
    }
    // Both runs on one drawing: two rows, their attempts coloured.
    page.wait("two rows in the timeline", async || {
        let rows = page.text("#retry-timeline").await?;
        if rows.contains("real, op") && rows.contains("✓ 200") {
            Ok(())
        } else {
            Err(format!("timeline text: {rows}"))
        }
    })
    .await?;
    let fill = page
        .computed_style("#retry-timeline .retry-attempt.tone-error rect", "stroke")
        .await?;
    let error = page.computed_style(".legend .tone-error", "color").await?;
    if fill != error {
        return Err(format!(
            "a failed attempt is drawn in {fill}, not the error colour {error}"
        ));
    }
    Ok(())
}
