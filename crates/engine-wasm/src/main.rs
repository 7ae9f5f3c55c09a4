//! The engine module's exports: each is a call of the lib (`mailsim_engine_wasm`), with
//! strings (JSON, JSON lines, TOML) and bytes across. The page imports this module's JS after
//! its first draw and calls these synchronously once it is there (src/engine.rs).

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
    pub fn run(key: &str, actions: &str) -> String {
        api::run(key, actions)
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
    pub fn play(activity: &str, actions: &str) -> String {
        api::play(activity, actions)
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
}

fn main() {}
