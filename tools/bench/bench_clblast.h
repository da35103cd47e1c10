/* The gemm baseline for opencl devices: CLBlast called directly on the
 * same OpenCL device, with its own context and an in-order queue like the
 * tessel backend's, operands resident on the device as tessel's are. */
#ifndef TESSEL_BENCH_CLBLAST_H
#define TESSEL_BENCH_CLBLAST_H

#include <stddef.h>
#include <stdint.h>

#include <tessel/tessel.h>

#include "bench_common.h"

int bench_clblast_open(const ts_device_info *dev, void **state, char *name, size_t len);
int bench_clblast_run(void *state, const bench_gemm_problem *p);
void bench_clblast_close(void *state);

#endif
