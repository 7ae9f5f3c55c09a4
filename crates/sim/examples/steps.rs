fn main() {
    let id = std::env::args().nth(1).unwrap();
    let log = mailsim_sim::scenario::run(&id).unwrap();
    let d = mailsim_sim::Diagram::from_log(&log);
    for a in &d.arrows {
        let s = a.step - 1;
        let e = mailsim_sim::activity::expected_next(&log, s)
            .map(|p| p.expected)
            .unwrap_or_else(|e| format!("-- {}", &e[..e.len().min(40)]));
        println!(
            "step {s:>3} -> {:<10} {} [{} {}]",
            e,
            &a.label[..a.label.len().min(70)],
            a.protocol,
            a.phase.unwrap_or("")
        );
    }
}
