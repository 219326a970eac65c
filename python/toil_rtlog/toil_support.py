"""toil-rtlog inside a Toil workflow: enable() makes Toil's RealtimeLogger
run the C++ leader and send through toil_rtlog's Handler.

Toil's leader starts its real-time logging with RealtimeLogger._startLeader
and stops it with _stopLeader; its jobs get their logger from
RealtimeLogger.getLogger. enable() replaces those three, so that with
--realTimeLogging:
- the leader runs `toil-rtlog serve` and hands jobs its variables through
  the batch system's setEnv, with the run's secret in a file of the job store
  (mode 600) whose path they get, never the secret itself;
- jobs send every record, signed, numbered and named by the Toil job that
  logs it; TOIL_JOB_NAME names it to the programs the job starts.
A workflow script calls enable() at its top: Toil's workers import the
script to run its jobs, so the call is made in every worker too.
"""
import logging
import os
import sys

from toil_rtlog import handler as job_side
from toil_rtlog import leader, signing

PREFIX = "TOIL_RT_LOGGING_"
# What a job needs of serve's export lines (the control plane is for people).
JOB_VARIABLES = (PREFIX + "ADDRESS", PREFIX + "LEVEL", PREFIX + "PACKED", PREFIX + "STREAM")

# Toil's own logger for real-time logging: Toil's --logLevel applies to it.
_log = logging.getLogger("toil.realtimeLogger")
_settings = {"options": {}, "program": None, "secret_dir": None}
_running = {"leader": None}
_current_job = {"name": None}


def enable(program=None, secret_dir=None, **options):
    """Serves Toil's real-time logging with toil-rtlog. `options` are serve's
    flags (level, format, output, jsonl_file, report, report_file,
    history_dir, bind, advertise, port, ...); `program` the toil-rtlog to run
    (default: $TOIL_RTLOG_BIN, else PATH's); `secret_dir` where to keep the
    run's secret (default: the file job store's directory)."""
    leader.check_options(options)
    try:
        from toil.realtimeLogger import RealtimeLogger
    except ImportError as error:
        raise RuntimeError("toil_rtlog.enable() is for Toil workflows, and Toil cannot be "
                           "imported here (%s); toil_rtlog.Handler works without it" % error)
    _settings.update(options=dict(options), program=program, secret_dir=secret_dir)
    RealtimeLogger._startLeader = classmethod(_start_leader)
    RealtimeLogger._stopLeader = classmethod(_stop_leader)
    RealtimeLogger.getLogger = classmethod(_get_logger)
    _adopt_logger(RealtimeLogger.logger)
    _follow_jobs()


# ---- the leader's side ----

def _start_leader(cls, batch_system, level="INFO"):
    with cls.lock:
        if cls.initialized == 0:
            cls.initialized += 1
            if level:
                _running["leader"] = _run_leader(batch_system, level)
        elif level:
            _log.warning("Ignoring nested request to start real-time logging")


def _stop_leader(cls):
    with cls.lock:
        assert cls.initialized > 0
        cls.initialized -= 1
        if cls.initialized == 0:
            process, _running["leader"] = _running["leader"], None
            if process is not None:
                _log.info("Stopping real-time logging (toil-rtlog serve, pid %d).", process.pid)
                process.stop()
            _forget_variables()


def _forget_variables():
    for name in [n for n in os.environ if n.startswith(PREFIX)]:
        del os.environ[name]


def _run_leader(batch_system, level):
    options = dict(_settings["options"])
    options.setdefault("level", level)
    if type(batch_system).__name__ != "SingleMachineBatchSystem":
        options.setdefault("bind", "0.0.0.0")  # jobs run on other machines
    secret_file = _secret_file(batch_system)
    # Variables of another leader (a shell that ran `serve --detach`) must
    # not reach the jobs, which get this one's.
    _forget_variables()
    process = leader.LeaderProcess(leader.find_program(_settings["program"]),
                                   leader.serve_flags(options) + ["--secret_file=" + secret_file])
    environment = {n: v for n, v in process.environment.items() if n in JOB_VARIABLES}
    environment[signing.SECRET_FILE_VARIABLE] = secret_file
    for name, value in environment.items():
        os.environ[name] = value
        batch_system.setEnv(name, value)
    control = process.environment.get(PREFIX + "CONTROL")
    _log.info("Starting real-time logging: toil-rtlog serve (pid %d) at %s%s", process.pid,
              environment[PREFIX + "ADDRESS"],
              "; follow it with `TOIL_RT_LOGGING_CONTROL=%s toil-rtlog tail --follow`" % control
              if control else "")
    return process


def _secret_file(batch_system):
    """Where the run's secret is kept: <file job store>/toil-rtlog/secret,
    or in secret_dir; a directory only its owner may enter."""
    directory = _settings["secret_dir"]
    if directory is None:
        from toil.common import Toil
        kind, path = Toil.parseLocator(batch_system.config.jobStore)
        if kind != "file":
            raise RuntimeError("toil_rtlog: the job store %s is not a directory, so the run's "
                               "secret cannot be kept in it; pass enable(secret_dir=...) a "
                               "directory every job's machine sees" % batch_system.config.jobStore)
        directory = os.path.join(os.path.abspath(path), "toil-rtlog")
    os.makedirs(directory, mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)
    return os.path.join(directory, "secret")


# ---- the jobs' side ----

def _get_logger(cls):
    if cls.logger is None:
        with cls.lock:
            if cls.logger is None:
                cls.logger = _job_logger()
    return cls.logger


def _job_logger():
    """Toil's "toil-rt" logger, at the run's level, sending through Handler."""
    logger = logging.getLogger("toil-rt")
    level = os.environ.get(job_side.LEVEL_VARIABLE)
    if level is None:  # no real-time logging: as Toil, only what is critical
        logger.setLevel(logging.CRITICAL)
        return logger
    try:
        logger.setLevel(job_side.parse_level(level))
    except ValueError as error:
        job_side.warn("%s: %s; records at INFO and above are logged here only, not sent"
                      % (job_side.LEVEL_VARIABLE, error))
        logger.setLevel(logging.INFO)
        return logger
    if os.environ.get(job_side.ADDRESS_VARIABLE):
        logger.addHandler(job_side.Handler(job=current_job_name))
    return logger


def _adopt_logger(logger):
    """A logger Toil made before enable(): its sender replaced by Handler."""
    if logger is None:
        return
    toil_handlers = [h for h in logger.handlers if type(h).__name__ == "JSONDatagramHandler"]
    for handler in toil_handlers:
        logger.removeHandler(handler)
        handler.close()
    if toil_handlers:
        logger.addHandler(job_side.Handler(job=current_job_name))


def current_job_name():
    """The Toil job running in this process ("fn/instance-x1y2"), else
    this worker's first job, else TOIL_JOB_NAME."""
    if _current_job["name"]:
        return _current_job["name"]
    argv = sys.argv
    if len(argv) >= 4 and os.path.basename(argv[0]) == "_toil_worker":
        return "%s/%s" % (argv[1], argv[3].rsplit("/", 1)[-1])
    return os.environ.get(job_side.JOB_NAME_VARIABLE)


def _job_name(job):
    description = job.description
    return "%s/%s" % (description.jobName, str(description.jobStoreID).rsplit("/", 1)[-1])


def _follow_jobs():
    """Wraps Toil's Job._runner so that records (and programs the job runs,
    through TOIL_JOB_NAME) name the job that runs."""
    from toil.job import Job
    original = Job._runner
    if getattr(original, "toil_rtlog_wrapped", False):
        return

    def _runner(self, *args, **kwargs):
        saved = _current_job["name"], os.environ.get(job_side.JOB_NAME_VARIABLE)
        _current_job["name"] = _job_name(self)
        os.environ[job_side.JOB_NAME_VARIABLE] = _current_job["name"]
        try:
            return original(self, *args, **kwargs)
        finally:
            _current_job["name"] = saved[0]
            if saved[1] is None:
                os.environ.pop(job_side.JOB_NAME_VARIABLE, None)
            else:
                os.environ[job_side.JOB_NAME_VARIABLE] = saved[1]

    _runner.toil_rtlog_wrapped = True
    Job._runner = _runner
