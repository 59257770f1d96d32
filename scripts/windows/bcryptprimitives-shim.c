/* For the tests under Wine only, never shipped: Rust's std on Windows 10+
 * imports ProcessPrng from bcryptprimitives.dll, which Wine 8 lacks. This
 * stand-in answers it with RtlGenRandom (advapi32's SystemFunction036).
 * Real Windows has the DLL. Built by scripts/windows.sh. */
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    return SystemFunction036(data, (ULONG)length);
}
