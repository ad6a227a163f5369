/* SPDX-License-Identifier: GPL-2.0 */
/* libc's <errno.h> itself includes <linux/errno.h>: defer to the real one. */
#include_next <linux/errno.h>
