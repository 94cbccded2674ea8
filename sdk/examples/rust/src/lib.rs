//! example-rust-waiting-scorer: an eppd scorer written in Rust against the C ABI alone.
//!
//! Prefers endpoints with fewer waiting requests: score = h / (h + waiting), where h is the
//! parameter `halfScoreAt` (default 4), the queue length that scores 0.5. An empty queue
//! scores 1; an endpoint whose metrics never arrived scores 0 (its queue is unknown).
//!
//! Written for Rust 1.63 (Debian 12's rustc): std only, no let-else, no newer std APIs.

mod abi;

use abi::*;
use std::os::raw::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

/// The host table handed to the entry point; valid until the library is unloaded.
static HOST: AtomicPtr<HostApi> = AtomicPtr::new(ptr::null_mut());

fn host() -> &'static HostApi {
    // Set by epp_plugin_entry before eppd calls anything else in the library.
    unsafe { &*HOST.load(Ordering::Acquire) }
}

const DEFAULT_HALF_SCORE_AT: f64 = 4.0;

struct WaitingScorer {
    half_score_at: f64,
}

impl WaitingScorer {
    fn score(&self, endpoint: &EndpointView) -> f64 {
        if endpoint.flags & EPP_ENDPOINT_FLAG_NO_METRICS != 0 {
            return 0.0;
        }
        let waiting = endpoint.waiting_requests.max(0) as f64;
        self.half_score_at / (self.half_score_at + waiting)
    }
}

/// "<file:line:col>: <message>" into the host's error sink.
fn fail(error: *mut ErrorHost, node: *mut ParamHost, message: &str) {
    let location = unsafe { (host().param_location)(node).bytes() };
    let text = format!("{}: {}", String::from_utf8_lossy(location), message);
    (host().error_set)(error, Str::from(&text));
}

/// Reads and checks the `parameters:` map; Err(()) after writing the reason to `error`.
fn parse_params(params: *mut ParamHost, error: *mut ErrorHost) -> Result<WaitingScorer, ()> {
    let h = host();
    let mut scorer = WaitingScorer {
        half_score_at: DEFAULT_HALF_SCORE_AT,
    };
    let kind = (h.param_kind)(params);
    if kind == EPP_PARAM_NULL {
        return Ok(scorer);
    }
    if kind != EPP_PARAM_MAP {
        fail(error, params, "parameters must be a map");
        return Err(());
    }
    for i in 0..(h.param_size)(params) {
        let mut child: *mut ParamHost = ptr::null_mut();
        let mut key = Str {
            ptr: ptr::null(),
            len: 0,
        };
        if (h.param_at)(params, i, &mut child, &mut key) != EPP_OK {
            fail(error, params, "unreadable parameter");
            return Err(());
        }
        let name = unsafe { key.bytes() };
        if name == b"halfScoreAt" {
            let mut value = 0.0f64;
            if (h.param_double)(child, &mut value) != EPP_OK || !(value > 0.0 && value.is_finite())
            {
                fail(
                    error,
                    child,
                    "parameter \"halfScoreAt\" must be a number greater than 0",
                );
                return Err(());
            }
            scorer.half_score_at = value;
        } else {
            let message = format!("unknown parameter \"{}\"", String::from_utf8_lossy(name));
            fail(error, child, &message);
            return Err(());
        }
    }
    Ok(scorer)
}

extern "C" fn create(args: *const CreateArgs, error: *mut ErrorHost) -> *mut c_void {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let params = unsafe { (*args).params };
        match parse_params(params, error) {
            Ok(scorer) => Box::into_raw(Box::new(scorer)) as *mut c_void,
            Err(()) => ptr::null_mut(),
        }
    }));
    match result {
        Ok(instance) => instance,
        Err(_) => {
            (host().error_set)(
                error,
                Str::from("example-rust-waiting-scorer: panic in create"),
            );
            ptr::null_mut()
        }
    }
}

extern "C" fn destroy(instance: *mut c_void) {
    if !instance.is_null() {
        drop(unsafe { Box::from_raw(instance as *mut WaitingScorer) });
    }
}

extern "C" fn score(
    instance: *mut c_void,
    _request: *const RequestView,
    candidates: *const EndpointList,
    scores: *mut f64,
) -> Status {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let scorer = unsafe { &*(instance as *const WaitingScorer) };
        let list = unsafe { &*candidates };
        if list.count == 0 {
            return EPP_OK;
        }
        let items = unsafe { std::slice::from_raw_parts(list.items, list.count) };
        let out = unsafe { std::slice::from_raw_parts_mut(scores, list.count) };
        for (slot, &view) in out.iter_mut().zip(items.iter()) {
            let endpoint = unsafe { &*view };
            // A view older than the one mirrored here lacks fields: no score rather than a
            // read past its end.
            if (endpoint.struct_size as usize) < std::mem::size_of::<EndpointView>() {
                return EPP_ERR_INVALID_ARGUMENT;
            }
            *slot = scorer.score(endpoint);
        }
        EPP_OK
    }));
    result.unwrap_or(EPP_ERR_INTERNAL)
}

static SCORER: Shared<ScorerV1> = Shared(ScorerV1 {
    struct_size: std::mem::size_of::<ScorerV1>() as u32,
    category: EPP_SCORER_DISTRIBUTION,
    score: Some(score),
});

static TYPE: Shared<TypeDescriptor> = Shared(TypeDescriptor {
    struct_size: std::mem::size_of::<TypeDescriptor>() as u32,
    kinds: EPP_KIND_SCORER,
    type_name: b"example-rust-waiting-scorer\0".as_ptr() as *const c_char,
    description: b"halfScoreAt / (halfScoreAt + waiting), written in Rust\0".as_ptr()
        as *const c_char,
    create: Some(create),
    destroy: Some(destroy),
    filter: ptr::null(),
    scorer: &SCORER.0,
    picker: ptr::null(),
    profile_handler: ptr::null(),
    ordering_policy: ptr::null(),
    fairness_policy: ptr::null(),
    saturation_detector: ptr::null(),
    traffic_splitter: ptr::null(),
    backend_adapter: ptr::null(),
    request_hooks: ptr::null(),
    data_hooks: ptr::null(),
    state_handover: ptr::null(),
});

static TYPES: Shared<[*const TypeDescriptor; 1]> = Shared([&TYPE.0]);

static PLUGIN: Shared<PluginDescriptor> = Shared(PluginDescriptor {
    struct_size: std::mem::size_of::<PluginDescriptor>() as u32,
    abi_major: ABI_MAJOR,
    abi_minor: ABI_MINOR,
    name: b"example-rust\0".as_ptr() as *const c_char,
    version: b"1.0.0\0".as_ptr() as *const c_char,
    description: b"The SDK's Rust example: a waiting-queue scorer\0".as_ptr() as *const c_char,
    types: &TYPES.0 as *const [*const TypeDescriptor; 1] as *const *const TypeDescriptor,
    types_count: 1,
    shutdown: None,
});

/// EPP_ABI_PACK(major, minor): read by eppd before any plugin code runs.
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static epp_plugin_abi: u32 = ((ABI_MAJOR as u32) << 16) | ABI_MINOR as u32;

/// The entry point: keeps the host table and returns the descriptor.
///
/// # Safety
/// `args` is NULL or points at a valid epp_entry_args, as eppd passes it.
#[no_mangle]
pub unsafe extern "C" fn epp_plugin_entry(args: *const EntryArgs) -> *const PluginDescriptor {
    if args.is_null() {
        return ptr::null();
    }
    let args = &*args;
    if args.host.is_null() {
        return ptr::null();
    }
    if args.host_abi_major != ABI_MAJOR {
        let host = &*args.host;
        (host.error_set)(args.error, Str::from("example-rust needs ABI major 1"));
        return ptr::null();
    }
    HOST.store(args.host as *mut HostApi, Ordering::Release);
    &PLUGIN.0
}
