"""cc_fuzz_test: one fuzz target, two ways to build it.

Normally the target is a plain test that replays its seed corpus (every file
of the filegroup `corpus`) through LLVMFuzzerTestOneInput, so the seeds run in every
configuration, sanitizers included. Under --config=fuzz (clang, libFuzzer;
see scripts/fuzz.sh) the same target links libFuzzer's own main instead and
becomes a fuzzer.
"""

def cc_fuzz_test(name, srcs, corpus, deps = [], **kwargs):
    native.cc_test(
        name = name,
        srcs = srcs,
        args = ["$(locations %s)" % corpus],
        data = [corpus],
        deps = deps + select({
            "//tools:libfuzzer": [],
            "//conditions:default": ["//fuzz:replay_main"],
        }),
        linkopts = select({
            "//tools:libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        **kwargs
    )
