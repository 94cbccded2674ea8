/*
 * File: epp/abi_state_handover.h
 *
 * State hand-over (ABI 1.1): how an instance passes what it learnt (a prefix-cache index,
 * say) to the instance that replaces it.
 *
 * eppd carries an instance into a new config snapshot as the same object when its type,
 * name, parameters and library are unchanged. When an instance of the same name and type
 * is *re-created* instead (its parameters changed, or a new version of its library was
 * loaded beside the old one), the host may call, once:
 *
 *   old->export_state(old_self, sink, error)         the old instance writes its state
 *   new->import_state(new_self, format, data, error) the new instance reads it
 *
 * The two instances may come from different libraries (different copies of the .so, each
 * with its own globals and perhaps its own internal layouts), so state crosses as bytes in
 * a plugin-defined, versioned format, never as objects or pointers: `format` is a tag that
 * names the encoding and its version ("prefix-index/v1"). An importer accepts the formats
 * it knows (an older one included, to convert) and refuses the others. A refusal or an
 * error is never fatal: the new instance simply starts fresh, and eppd logs and counts the
 * outcome (metric eppd_plugin_state_handover_total{result}).
 *
 * The exchange always goes through bytes, even when both instances share one library.
 *
 * A type offers the hand-over by setting EPP_KIND_STATE_HANDOVER in its kinds and pointing
 * epp_type_descriptor.state_handover at this table; both functions are then mandatory.
 * A type without it (every 1.0 plugin) is re-created without hand-over.
 */
#ifndef EPP_ABI_STATE_HANDOVER_H_
#define EPP_ABI_STATE_HANDOVER_H_

#include "epp/abi_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * OWNERSHIP: plugin, static (like every kind table).
 */
typedef struct epp_state_handover_v1 {
  uint32_t struct_size;
  /*
   * Called on the OLD instance. Writes its state to `sink` with the host callbacks
   * epp_host_api.state_sink_set_format (exactly one non-empty format tag; a later call
   * replaces it) and epp_host_api.state_sink_write (the bytes, appended, in as many pieces
   * as convenient), then returns:
   *   EPP_OK             the state written is complete;
   *   EPP_ERR_NOT_FOUND  there is nothing to hand over (whatever was written is dropped);
   *   anything else      the export failed (whatever was written is dropped; say why with
   *                      error_set(error, ...)).
   * The old instance still serves requests of the snapshots that hold it, so this may run
   * concurrently with any other call on it: take the locks those calls take. What it
   * learns after the export is not handed over. Exporting must not change the instance.
   * OWNERSHIP: `sink` and `error` are the host's, valid during this call only; the host
   * copies everything written (the plugin keeps ownership of its own buffers).
   */
  epp_status (*export_state)(epp_instance_plugin_ptr self, epp_state_sink_host_ptr sink,
                             epp_error_host_ptr error);
  /*
   * Called on the NEW instance, after its `create` and before any other call on it, at
   * most once, with what an export_state of the old instance wrote. Returns:
   *   EPP_OK                    the state was taken over;
   *   EPP_ERR_UNIMPLEMENTED     `format` is not one this version reads;
   *   EPP_ERR_INVALID_ARGUMENT  the data does not parse, or does not fit this instance's
   *                             parameters (say why with error_set(error, ...));
   *   anything else             a failure.
   * On any status but EPP_OK the instance must be exactly as `create` left it (parse
   * everything first, then apply), since it goes on serving, fresh.
   * OWNERSHIP: `format`, `data` and `error` are the host's, valid during this call only;
   * copy what you keep.
   */
  epp_status (*import_state)(epp_instance_plugin_ptr self, epp_str format, epp_bytes data,
                             epp_error_host_ptr error);
} epp_state_handover_v1;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EPP_ABI_STATE_HANDOVER_H_ */
