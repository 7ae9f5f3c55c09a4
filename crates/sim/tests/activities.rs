//! Activities: every built-in parses, predictions come from the scenarios, tasks are
//! completable by a scripted learner (and the wrong thing is not accepted), malformed files
//! give located errors.

use mailsim_sim::activity::{self, Answer, Kind, Response};

#[test]
fn smoke() {
    let all = activity::builtin();
    assert_eq!(all.len(), activity::BUILTIN_FILES.len());
    let a = &all[0];
    let p = &a.items[1];
    assert_eq!(p.kind, Kind::Predict);
    let Answer::Predicted(pr) = &p.answer else { panic!() };
    assert_eq!(pr.expected, "354", "{pr:?}");
    assert!(activity::grade(p, &Response::Text("354 go ahead".into())).correct);
    let code = activity::completion_code(a, &[]);
    assert!(activity::code_is_well_formed(&code), "{code}");
}
