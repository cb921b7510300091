"""The Spark engine: one configured SparkSession for reading and writing a Parquet lake.

Spark is optional (``pip install 'microscout[spark]'``) and needs Java 17 or newer. Every session
this module builds has the settings the lake relies on:

* ``spark.sql.session.timeZone=UTC`` — the store keeps timestamps naive in UTC; with a UTC session
  ``unix_timestamp`` and casts between Spark's two timestamp types agree with DuckDB.
* ``spark.sql.warehouse.dir`` = a fresh temporary folder per session (removed by
  :func:`stop_session`): a ``./spark-warehouse`` left over by an earlier run breaks the next one.
* ``spark.sql.parquet.outputTimestampType=TIMESTAMP_MICROS`` — never the legacy INT96.
* ``spark.ui.enabled=false`` and no console progress bars; log level ERROR.
* ``spark.sql.shuffle.partitions`` 4 on a local master (the default 200 is for clusters), or
  ``MICROSCOUT_SPARK_SHUFFLE_PARTITIONS``; driver memory from ``MICROSCOUT_SPARK_DRIVER_MEMORY``.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from microscout.errors import MissingDependencyError, StoreError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["is_spark_engine", "require_java", "spark_session", "stop_session"]

INSTALL_HINT = "Spark support is not installed: pip install 'microscout[spark]'"
JAVA_HINT = "the Spark engine needs Java 17 or newer: install a Java 17 runtime (e.g. openjdk-17-jre-headless)"
_WAREHOUSE_PREFIX = "microscout-spark-"
_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
# pyspark counts as a REPL: Spark resets the root level to this logger's level ("Setting default log level")
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
logger.submit.name = org.apache.spark.deploy.SparkSubmit
logger.submit.level = error
# a failing query is raised in Python with the same message: do not print it twice
logger.sqlcontext.name = SQLQueryContextLogger
logger.sqlcontext.level = off
"""


def is_spark_engine(engine: str) -> bool:
    """True for ``spark`` and for Spark master URLs (``spark://host:7077``, ``local[2]``, ``yarn``...)."""
    return engine == "spark" or engine.startswith(("spark://", "local", "yarn", "k8s://", "mesos://"))


def master_url(engine: str) -> str:
    """The Spark master an ``--engine`` value names (``spark`` means ``local[*]``)."""
    return "local[*]" if engine == "spark" else engine


def _java_executable() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def require_java() -> str:
    """The path of a Java 17+ ``java``; StoreError with a one-line hint when there is none."""
    java = _java_executable()
    if java is None:
        raise StoreError(f"{JAVA_HINT}; no `java` on PATH and no JAVA_HOME")
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise StoreError(f"{JAVA_HINT}; `{java} -version` failed: {exc}") from exc
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match:
        major = int(match.group(1))
        if major == 1 and match.group(2):  # "1.8.0_392" is Java 8
            major = int(match.group(2))
        if major < 17:
            raise StoreError(f"{JAVA_HINT}; found Java {major} at {java}")
    return java


def spark_session(master: str = "local[*]") -> SparkSession:
    """A SparkSession configured for microscout (see the module docstring); stop it with :func:`stop_session`."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise MissingDependencyError(INSTALL_HINT) from exc
    require_java()
    local = master.startswith("local")
    warehouse = tempfile.mkdtemp(prefix=_WAREHOUSE_PREFIX)
    log4j = Path(warehouse) / "log4j2.properties"
    log4j.write_text(_LOG4J, encoding="utf-8")
    partitions = os.environ.get("MICROSCOUT_SPARK_SHUFFLE_PARTITIONS") or ("4" if local else "200")
    builder: Any = (
        SparkSession.builder.master(master)
        .appName("microscout")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(Path(warehouse) / "warehouse"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", partitions)
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j}")
        .config("spark.log.structuredLogging.enabled", "false")
        .config("spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
    )
    if local:
        # workers of a local master run this interpreter (pandas/Arrow UDFs need the same packages)
        builder = builder.config("spark.pyspark.python", sys.executable).config("spark.driver.host", "127.0.0.1")
        builder = builder.config("spark.driver.bindAddress", "127.0.0.1")
    memory = os.environ.get("MICROSCOUT_SPARK_DRIVER_MEMORY")
    if memory:
        builder = builder.config("spark.driver.memory", memory)
    try:
        session: SparkSession = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: say so in one line
        shutil.rmtree(warehouse, ignore_errors=True)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"cannot start Spark ({master}): {first}") from exc
    session.sparkContext.setLogLevel("ERROR")
    return session


def stop_session(session: SparkSession) -> None:
    """Stop ``session`` and remove the temporary warehouse folder :func:`spark_session` made for it."""
    try:
        warehouse = session.conf.get("spark.sql.warehouse.dir") or ""
    except Exception:  # noqa: BLE001 - a stopped session has no readable conf; the folder is then left alone
        warehouse = ""
    session.stop()
    with warnings.catch_warnings():  # py4j drops some client sockets without closing them
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    folder = Path(warehouse.removeprefix("file:")).parent
    if folder.name.startswith(_WAREHOUSE_PREFIX) and folder.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(folder, ignore_errors=True)
