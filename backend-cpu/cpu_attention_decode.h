/* Flash-decoding on the CPU (cpu_attention_decode.c): TSI_OP_ATTENTION
 * with few query rows per kv head, split over the keys. cpu_attention.c
 * asks it first; each returns 1 when it took the op (plan filled / op
 * run), 0 when the main tiled kernel should. */
#ifndef TESSEL_BACKEND_CPU_ATTENTION_DECODE_H
#define TESSEL_BACKEND_CPU_ATTENTION_DECODE_H

#include "backend-cpu/cpu_internal.h"

int tsi_cpu_attention_decode_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan);
int tsi_cpu_attention_decode_record(tsi_device *dev, const tsi_op *op);

#endif
