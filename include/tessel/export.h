/* tessel — symbol export macro. Only ts_* symbols leave the shared library. */
#ifndef TESSEL_EXPORT_H
#define TESSEL_EXPORT_H

#if defined(TESSEL_STATIC)
#define TS_API
#elif defined(_WIN32)
#if defined(TESSEL_BUILDING)
#define TS_API __declspec(dllexport)
#else
#define TS_API __declspec(dllimport)
#endif
#else
#define TS_API __attribute__((visibility("default")))
#endif

#endif
