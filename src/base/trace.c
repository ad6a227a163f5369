// SPDX-License-Identifier: GPL-2.0
/* The tracepoints' definitions, instantiated once. */
#define CREATE_TRACE_POINTS
#include "base/trace.h"
