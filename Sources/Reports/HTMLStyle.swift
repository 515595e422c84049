/// The page's only stylesheet, inlined so the report is one file. No `url()`, no `@import`,
/// no web fonts: the page must render identically offline. Badge colors keep a contrast ratio of
/// at least 4.5:1 against their text, and every badge also says its verdict in words.
enum HTMLStyle {
    static let css = HTML(trusted: """

    body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 80rem; padding: 1rem; color: #1b1b1b; }
    h1 { margin-top: 0; } h2 { border-bottom: 2px solid #ccc; padding-bottom: .2rem; margin-top: 2.5rem; }
    table { border-collapse: collapse; margin: .8rem 0; width: 100%; }
    caption { text-align: left; font-weight: 600; padding: .3rem 0; }
    th, td { border: 1px solid #ccc; padding: .25rem .45rem; text-align: left; vertical-align: top; }
    thead th { background: #f0f0f0; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    table.score { width: auto; }
    code, pre { font-family: ui-monospace, monospace; font-size: 90%; }
    pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; padding: .4rem; margin: .3rem 0; }
    dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; }
    dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
    .badge { display: inline-block; padding: 0 .45rem; border-radius: .25rem; font-weight: 700;
             font-size: 85%; letter-spacing: .02em; color: #fff; background: #555; white-space: nowrap; }
    .v-pass { background: #1e6b30; } .v-fail { background: #b00020; } .v-error { background: #7a1020; }
    .v-infra { background: #5b2a86; } .v-flaky { background: #8a5a00; } .v-waived { background: #1f4e8c; }
    .v-skipped, .v-untested { background: #5a5a5a; } .v-not_applicable { background: #e0e0e0; color: #1b1b1b; }
    .v-usage { background: #5a5a5a; } .v-not_offered { background: #e0e0e0; color: #1b1b1b; }
    .v-deviation { background: #8a5a00; } .v-attested { background: #00606b; } .badge.muted { background: #6a6a6a; }
    .o-conformant { background: #1e6b30; } .o-not-conformant { background: #b00020; } .o-incomplete { background: #5b2a86; }
    tr.r-must-failure td { background: #fff4f4; } tr.r-undecided td, tr.r-deviation td { background: #fff8e6; }
    .infra { border: 3px solid #5b2a86; background: #f6f0fb; padding: .2rem 1rem; margin: 1rem 0; }
    .infra p:first-of-type { font-weight: 700; font-size: 110%; }
    .note { color: #555; font-size: 90%; }
    svg.stages { max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
    svg.stages rect.ok { fill: #1e6b30; } svg.stages rect.failed { fill: #b00020; }
    svg.figures { max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
    svg.figures rect.bar { fill: #1f4e8c; } figure.figure { margin: .4rem 0; }
    tr.p-error td, tr.p-unavailable td { background: #fff8e6; }
    table.matrix td, table.matrix th { text-align: center; } table.matrix th[scope=row] { text-align: left; }
    table.matrix thead th { position: sticky; top: 0; }
    details summary { cursor: pointer; }
    .basis { font-size: .75rem; color: #555; } .b-guest-reported { font-style: italic; }
    @media print { details { display: block; } .badge { border: 1px solid #000; } }

    """)
}
