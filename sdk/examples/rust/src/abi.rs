//! Hand-written mirrors of the parts of eppd's C ABI (sdk/include/epp/*.h) this plugin uses.
//! Layouts must match the C headers field for field: `#[repr(C)]`, same order, same types.
//! Structs the host hands over are read only up to what is mirrored here; the host's own
//! structs may be longer (fields are appended in later minor versions).

use std::os::raw::{c_char, c_void};

/// ABI version this plugin was written against (EPP_ABI_MAJOR / EPP_ABI_MINOR of abi_types.h).
/// A host with the same major and this minor or a newer one loads it.
pub const ABI_MAJOR: u16 = 1;
pub const ABI_MINOR: u16 = 3;

pub type Status = i32;
pub const EPP_OK: Status = 0;
pub const EPP_ERR_INVALID_ARGUMENT: Status = 1;
pub const EPP_ERR_INTERNAL: Status = 2;

pub const EPP_KIND_SCORER: u32 = 1 << 1;
pub const EPP_SCORER_DISTRIBUTION: i32 = 1;
pub const EPP_ENDPOINT_FLAG_NO_METRICS: u32 = 1 << 0;

pub type ParamKind = i32;
pub const EPP_PARAM_NULL: ParamKind = 0;
pub const EPP_PARAM_MAP: ParamKind = 3;

/// epp_str: UTF-8, not NUL-terminated; {NULL, 0} is empty.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Str {
    pub ptr: *const c_char,
    pub len: usize,
}

impl Str {
    pub fn from(s: &str) -> Str {
        Str {
            ptr: s.as_ptr() as *const c_char,
            len: s.len(),
        }
    }
    /// The bytes viewed. Safety: the view must be valid for the call that passed it.
    pub unsafe fn bytes<'a>(self) -> &'a [u8] {
        if self.ptr.is_null() || self.len == 0 {
            &[]
        } else {
            std::slice::from_raw_parts(self.ptr as *const u8, self.len)
        }
    }
}

#[repr(C)]
pub struct Kv {
    pub key: Str,
    pub value: Str,
}

// Opaque host handles (distinct types, as in abi_types.h).
#[repr(C)]
pub struct InstanceHost {
    _private: [u8; 0],
}
#[repr(C)]
pub struct ParamHost {
    _private: [u8; 0],
}
#[repr(C)]
pub struct ErrorHost {
    _private: [u8; 0],
}
#[repr(C)]
pub struct RequestView {
    _private: [u8; 0],
}

/// epp_endpoint_view as of ABI 1.3 (abi_endpoint.h).
#[repr(C)]
pub struct EndpointView {
    pub struct_size: u32,
    pub flags: u32,
    pub id: u64,
    pub address: Str,
    pub port: u32,
    pub health: i32,
    pub host_port: Str,
    pub name: Str,
    pub engine: Str,
    pub role: Str,
    pub pool: Str,
    pub labels: *const Kv,
    pub labels_count: usize,
    pub waiting_requests: i64,
    pub running_requests: i64,
    pub kv_cache_usage: f64,
    pub active_loras: *const Str,
    pub active_loras_count: usize,
    pub waiting_loras: *const Str,
    pub waiting_loras_count: usize,
    pub max_loras: i64,
    pub cache_block_size: i64,
    pub cache_num_blocks: i64,
    pub metrics_updated_ns: i64,
    pub inflight_requests: i64,
}

#[repr(C)]
pub struct EndpointList {
    pub items: *const *const EndpointView,
    pub count: usize,
}

/// The first fields of epp_host_api (abi_host.h), up to the parameter getters: a prefix of
/// the host's table, which is all this plugin calls.
#[repr(C)]
pub struct HostApi {
    pub struct_size: u32,
    pub abi_major: u16,
    pub abi_minor: u16,
    pub error_set: extern "C" fn(*mut ErrorHost, Str),
    pub log: extern "C" fn(*mut InstanceHost, *mut c_void, i32, Str),
    pub log_enabled: extern "C" fn(i32) -> bool,
    pub now_ns: extern "C" fn() -> i64,
    pub wall_time_ns: extern "C" fn() -> i64,
    pub param_kind: extern "C" fn(*mut ParamHost) -> ParamKind,
    pub param_location: extern "C" fn(*mut ParamHost) -> Str,
    pub param_get: extern "C" fn(*mut ParamHost, Str, *mut *mut ParamHost) -> Status,
    pub param_size: extern "C" fn(*mut ParamHost) -> usize,
    pub param_at: extern "C" fn(*mut ParamHost, usize, *mut *mut ParamHost, *mut Str) -> Status,
    pub param_bool: extern "C" fn(*mut ParamHost, *mut bool) -> Status,
    pub param_int: extern "C" fn(*mut ParamHost, *mut i64) -> Status,
    pub param_double: extern "C" fn(*mut ParamHost, *mut f64) -> Status,
}

/// epp_create_args (abi_plugin.h).
#[repr(C)]
pub struct CreateArgs {
    pub struct_size: u32,
    pub instance: *mut InstanceHost,
    pub type_name: Str,
    pub instance_name: Str,
    pub params: *mut ParamHost,
}

pub type ScoreFn =
    extern "C" fn(*mut c_void, *const RequestView, *const EndpointList, *mut f64) -> Status;

/// epp_scorer_v1 (abi_scheduling.h).
#[repr(C)]
pub struct ScorerV1 {
    pub struct_size: u32,
    pub category: i32,
    pub score: Option<ScoreFn>,
}

/// epp_type_descriptor as of ABI 1.1 (the last minor that changed it). Tables this plugin
/// does not provide are null pointers.
#[repr(C)]
pub struct TypeDescriptor {
    pub struct_size: u32,
    pub kinds: u32,
    pub type_name: *const c_char,
    pub description: *const c_char,
    pub create: Option<extern "C" fn(*const CreateArgs, *mut ErrorHost) -> *mut c_void>,
    pub destroy: Option<extern "C" fn(*mut c_void)>,
    pub filter: *const c_void,
    pub scorer: *const ScorerV1,
    pub picker: *const c_void,
    pub profile_handler: *const c_void,
    pub ordering_policy: *const c_void,
    pub fairness_policy: *const c_void,
    pub saturation_detector: *const c_void,
    pub traffic_splitter: *const c_void,
    pub backend_adapter: *const c_void,
    pub request_hooks: *const c_void,
    pub data_hooks: *const c_void,
    pub state_handover: *const c_void,
}

/// epp_plugin_descriptor (abi_plugin.h).
#[repr(C)]
pub struct PluginDescriptor {
    pub struct_size: u32,
    pub abi_major: u16,
    pub abi_minor: u16,
    pub name: *const c_char,
    pub version: *const c_char,
    pub description: *const c_char,
    pub types: *const *const TypeDescriptor,
    pub types_count: usize,
    pub shutdown: Option<extern "C" fn()>,
}

/// epp_entry_args (abi_plugin.h).
#[repr(C)]
pub struct EntryArgs {
    pub struct_size: u32,
    pub host_abi_major: u16,
    pub host_abi_minor: u16,
    pub host: *const HostApi,
    pub error: *mut ErrorHost,
}

/// Static data holding raw pointers (descriptors): immutable after load, so shareable.
#[repr(transparent)]
pub struct Shared<T>(pub T);
unsafe impl<T> Sync for Shared<T> {}

// The sizes the C compiler gives these structs on 64-bit targets; a wrong mirror fails the
// build here rather than corrupting memory in eppd.
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(std::mem::size_of::<Str>() == 16);
    assert!(std::mem::size_of::<EndpointView>() == 232);
    // The mirrored prefix of epp_host_api ends where param_string starts (offset 112).
    assert!(std::mem::size_of::<HostApi>() == 112);
    assert!(std::mem::size_of::<CreateArgs>() == 56);
    assert!(std::mem::size_of::<ScorerV1>() == 16);
    assert!(std::mem::size_of::<TypeDescriptor>() == 136);
    assert!(std::mem::size_of::<PluginDescriptor>() == 56);
    assert!(std::mem::size_of::<EntryArgs>() == 24);
};
