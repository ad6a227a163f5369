/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/tracepoint.h>: every TRACE_EVENT() and
 * DEFINE_EVENT() declares trace_<name>() as a plain function with the
 * event's prototype, which the test program defines (tests/unit/stub_hw.c
 * counts them); the record layout and format are dropped.
 */
#ifndef SHIM_LINUX_TRACEPOINT_H
#define SHIM_LINUX_TRACEPOINT_H
#define PARAMS(args...)		args
#define TP_PROTO(args...)	args
#define TP_ARGS(args...)	args

#define DECLARE_EVENT_CLASS(name, proto, args, tstruct, assign, print)
#define DEFINE_EVENT(template, name, proto, args)			\
	void trace_##name(proto)
#define TRACE_EVENT(name, proto, args, tstruct, assign, print)		\
	void trace_##name(proto)
#endif
