// SPDX-License-Identifier: GPL-2.0-or-later
/* pawctl's entry point; everything else lives in libpawctl for the tests. */
#include "pawctl.h"

int main(int argc, char **argv)
{
	return pawctl_main(argc, argv);
}
