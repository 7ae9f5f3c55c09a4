//! The engine module's exports: each is a call of the lib (`mailsim_engine_wasm`), with
//! strings (JSON, JSON lines, TOML) and bytes across. The page imports this module's JS after
//! its first draw and calls these synchronously once it is there (src/engine.rs). An event log
//! (`run`, `play`) crosses as its UTF-8 bytes (a `Uint8Array` that the page copies into its
//! memory), not as a JS string: for the class of 13 (646 KB) that is two copies instead of
//! decoding the UTF-8 into a JS string and encoding it again (docs/benchmarks.md, "Branch
//! ratio10").

#[cfg(target_arch = "wasm32")]
mod exports {
    use mailsim_engine_wasm as api;
    use wasm_bindgen::prelude::wasm_bindgen;

    #[wasm_bindgen]
    pub fn provide_scenario(id: &str, text: &str) -> String {
        api::provide_scenario(id, text)
    }
    #[wasm_bindgen]
    pub fn scenario(id: &str) -> String {
        api::scenario(id)
    }
    #[wasm_bindgen]
    pub fn load_scenario(name: &str, text: &str) -> String {
        api::load_scenario(name, text)
    }
    #[wasm_bindgen]
    pub fn run(key: &str, actions: &str) -> Vec<u8> {
        api::run(key, actions).into_bytes()
    }
    #[wasm_bindgen]
    pub fn save(key: &str, actions: &str) -> String {
        api::save(key, actions)
    }
    #[wasm_bindgen]
    pub fn actions_from_toml(text: &str) -> String {
        api::actions_from_toml(text)
    }
    #[wasm_bindgen]
    pub fn check_recipients(list: &str) -> String {
        api::check_recipients(list)
    }
    #[wasm_bindgen]
    pub fn provide_activity(name: &str, text: &str) {
        api::provide_activity(name, text)
    }
    #[wasm_bindgen]
    pub fn builtin_activities() -> String {
        api::builtin_activities()
    }
    #[wasm_bindgen]
    pub fn parse_activity(name: &str, text: &str, beside: &str) -> String {
        api::parse_activity(name, text, beside)
    }
    #[wasm_bindgen]
    pub fn play(activity: &str, actions: &str) -> Vec<u8> {
        api::play(activity, actions).into_bytes()
    }
    #[wasm_bindgen]
    pub fn grade(item: &str, response: &str) -> String {
        api::grade(item, response)
    }
    #[wasm_bindgen]
    pub fn score(activity: &str, answers: &str) -> String {
        api::score(activity, answers)
    }
    #[wasm_bindgen]
    pub fn completion_code(activity: &str, answers: &str) -> String {
        api::completion_code(activity, answers)
    }
    #[wasm_bindgen]
    pub fn check_task(check: &str, log: &str, actions: &str) -> String {
        api::check_task(check, log, actions)
    }
    #[wasm_bindgen]
    pub fn message_tree(raw: &[u8]) -> String {
        api::message_tree(raw)
    }

    /// The phases of `run` one by one, for bench/world-wasm.mjs (feature `phases`, built by
    /// bench/build-engine-phases.sh; the page's build leaves them out).
    #[cfg(feature = "phases")]
    mod phases {
        use mailsim_engine_wasm::phases as p;
        use wasm_bindgen::prelude::wasm_bindgen;

        #[wasm_bindgen]
        pub fn phase_run_world(key: &str) -> usize {
            p::run_world(key)
        }
        #[wasm_bindgen]
        pub fn phase_write_jsonl() -> usize {
            p::write_jsonl()
        }
        #[wasm_bindgen]
        pub fn phase_take_jsonl() -> Vec<u8> {
            p::take_jsonl()
        }
        #[wasm_bindgen]
        pub fn phase_length(bytes: &[u8]) -> usize {
            p::length(bytes)
        }
        #[wasm_bindgen]
        pub fn phase_read_jsonl(bytes: &[u8]) -> usize {
            p::read_jsonl(bytes)
        }
    }
}

fn main() {}
