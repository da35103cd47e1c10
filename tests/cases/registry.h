/* tessel case registry: every op x dtype x shape the tests and
 * tessel-conformance check, run on a device and compared with a float64
 * reference. One library (tessel_cases) used by tests/test_ops.c and
 * tools/conformance, so a failure in CI and on a user's GPU name the same
 * case and reproduce with the same seed.
 *
 * How a case runs (tsc_run_case):
 *   1. inputs are drawn from a seeded RNG (splitmix64 -> xoshiro256**; the
 *      per-case stream is derived from the seed and the case's op and name,
 *      so one case rerun alone sees exactly the inputs it saw in a full run),
 *      rounded to the case's dtype, never all zeros, written to the device,
 *      then viewed as the case asks (transposed, sliced, permuted, broadcast);
 *   2. outputs are poisoned first (f32 0x7fc0dead, f16 0x7e5a, bf16 0x7fc1
 *      NaNs, i32 0x80000007, c64 0x7fc0dead 0x7fc0beef), so an element the
 *      kernel never writes (or half writes) fails;
 *      for strided output views the elements outside the view must still
 *      hold the poison afterwards;
 *   3. the op runs; TS_ERR_UNSUPPORTED gives TSC_UNSUPPORTED, any other
 *      error TSC_ERROR with ts_last_error() in the message; a case that
 *      then passes while the device's fallback count rose (a fused op the
 *      backend has no kernel for ran as core's composition) is
 *      TSC_FALLBACK: a pass, reported apart. Cases of one device must not
 *      run concurrently for this to name the right case;
 *   4. a float64 reference (ref_*.c, plain loops) computes each output
 *      element r and a magnitude m (the scale its rounding error grows with:
 *      |r| for a product, sum |a_k b_k| for a dot product, ...). Element
 *      error: err = |got - r| / max(m, floor); the case passes when the
 *      largest err <= tol. tol and floor come from ONE table, per family x
 *      dtype, in registry.c. tol == 0 means exact: got must equal r rounded
 *      to the output dtype (i32 outputs are always exact).
 *
 * Reported numbers: max_abs_err = max |got - r|; max_rel_err = max err as
 * above (so "max_rel_err <= tol" is the pass rule); either is NaN when an
 * output is NaN (unwritten or computed).
 *
 * ---- Adding cases -------------------------------------------------------
 * More shapes for an existing op: add a row to the spec table in that
 * family's cases_<family>.c (a label, dims, layouts, quick or full).
 *
 * A new op in an existing family: its float64 reference in the matching
 * ref_<idea>.c (declared in ref.h), a row in the family's op table, and the
 * call in the family's run function.
 *
 * A new family (e.g. a layer: attention, fftconv): one file
 * cases_<family>.c defining `const tsc_family tsc_family_<name>` (see
 * family.h: an op table x dtypes x a spec table, a describe and a run
 * function written with the tsc_* helpers, references in plain loops), then
 * one line in the family table in registry.c giving its tolerances per
 * dtype, and the file in tests/cases/CMakeLists.txt. Every test and the
 * conformance tool pick it up from there; nothing else changes.
 *
 * Quick cases (full_only == 0) are the CI set: keep them small. On lavapipe
 * and PoCL the cost is dominated by compiling one pipeline per op x dtype,
 * so add dtypes and ops freely but shapes sparingly; big shapes go in full.
 */
#ifndef TESSEL_TESTS_CASES_REGISTRY_H
#define TESSEL_TESTS_CASES_REGISTRY_H

#include <stdint.h>

#include <tessel/tessel.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tsc_status {
    TSC_PASS = 0,
    TSC_FAIL,        /* ran, but an output is wrong */
    TSC_UNSUPPORTED, /* the op returned TS_ERR_UNSUPPORTED: never a pass */
    TSC_ERROR,       /* any other non-OK status (message has ts_last_error) */
    /* Passed, but the device has no kernel for the op: core ran it as its
     * fallback composition of simpler ops (ts_device_fallback_count rose
     * during the case). Counts as passing; reported apart from pass. */
    TSC_FALLBACK,
    /* Wrong against the IEEE reference, right against the same reference
     * with f32 subnormals flushed to zeros of the same sign in inputs and
     * results, on a device that does not promise to keep them
     * (ts_device_info.denormals is not TS_DENORMALS_PRESERVED): a
     * documented device deviation (docs/numerics.md), reported apart, not
     * a failure. Only families that place subnormals ask (family.h). */
    TSC_FTZ
} tsc_status;

typedef struct tsc_family tsc_family;

#define TSC_NAME_LEN 80

typedef struct tsc_case {
    const char *op;          /* public op name: "add", "softmax", "layer_norm" */
    const char *family;      /* its family: "binary", "softmax", "norm" */
    char name[TSC_NAME_LEN]; /* "f16/causal 5x7": unique within op */
    ts_dtype dtype;          /* the dtype the case is about (cast: source) */
    int full_only;           /* 0: in the quick (CI) set; 1: --full only */
    /* Private to the family that built the case. */
    const tsc_family *fam;
    int op_index;
    int spec_index;
    ts_dtype dtype2; /* cast target */
} tsc_case;

typedef struct tsc_result {
    tsc_status status;
    double max_abs_err; /* NaN when an output is NaN */
    double max_rel_err; /* the checked quantity; NaN when an output is NaN */
    double tol;         /* pass when max_rel_err <= tol (0: exact) */
    char message[512];  /* why it failed / errored, or what fell back; "" on pass */
    int64_t checked;    /* output elements compared (0: empty outputs) */
} tsc_result;

/* The registry: every case, quick and full, in a fixed order (family,
 * op, dtype, spec). Built on first use; thread-safe. */
int tsc_case_count(void);
const tsc_case *tsc_case_at(int i);
/* Exact op and case name; NULL when absent. */
const tsc_case *tsc_case_find(const char *op, const char *name);

/* Family names in registry order, for per-family reports. */
int tsc_family_count(void);
const char *tsc_family_name(int i);

/* --op filter: pattern is a prefix of the op name, or exactly the family
 * name ("--op reduce" also matches argmax and topk). */
int tsc_case_matches_op(const tsc_case *c, const char *pattern);

/* Run one case on dev with inputs drawn from seed. Never aborts; a device
 * that misbehaves shows up as FAIL or ERROR. */
tsc_result tsc_run_case(const tsc_case *c, ts_device *dev, uint64_t seed);
/* tsc_run_case as if dev reported `denormals` in its ts_device_info: the
 * harness's own test (test_cases_ftz.c) emulates a flushing device. */
tsc_result tsc_run_case_denormals(const tsc_case *c, ts_device *dev, uint64_t seed,
                                  ts_denormals denormals);

/* "pass", "fail", "unsupported", "error", "fallback", "ftz". */
const char *tsc_status_name(tsc_status s);

#ifdef __cplusplus
}
#endif
#endif
