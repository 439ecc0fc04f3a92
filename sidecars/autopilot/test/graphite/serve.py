"""Runs a real Graphite for tests: carbon-cache (plaintext line receiver, whisper files) and graphite-web's
WSGI app (the render API) served by wsgiref, both under one run folder, on 127.0.0.1 only.

Usage: python serve.py RUN_DIR WEB_PORT LINE_PORT PICKLE_PORT CACHE_QUERY_PORT
Prints "graphite ready" once both answer; stops carbon-cache when it is stopped itself (SIGTERM/SIGINT).
"""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

run_dir, web_port, line_port, pickle_port, query_port = sys.argv[1], *map(int, sys.argv[2:6])
storage = os.path.join(run_dir, 'storage')
conf = os.path.join(run_dir, 'conf')
for folder in (storage, conf, os.path.join(storage, 'log', 'webapp'), os.path.join(storage, 'whisper')):
    os.makedirs(folder, exist_ok=True)

# carbon: every metric kept at 1 s resolution for a day, averaged when read coarser.
with open(os.path.join(conf, 'carbon.conf'), 'w') as f:
    f.write(f"""[cache]
STORAGE_DIR = {storage}
LOCAL_DATA_DIR = {storage}/whisper
WHITELISTS_DIR = {storage}/lists
CONF_DIR = {conf}
LOG_DIR = {storage}/log
PID_DIR = {storage}
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = {line_port}
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = {pickle_port}
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = {query_port}
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = 10000
MAX_CREATES_PER_MINUTE = inf
ENABLE_TAGS = True
GRAPHITE_URL = http://127.0.0.1:{web_port}
TAG_UPDATE_INTERVAL = 1
LOG_LISTENER_CONN_SUCCESS = False
""")
with open(os.path.join(conf, 'storage-schemas.conf'), 'w') as f:
    f.write('[everything]\npattern = .*\nretentions = 1s:1d\n')
with open(os.path.join(conf, 'storage-aggregation.conf'), 'w') as f:
    f.write('[default]\npattern = .*\nxFilesFactor = 0\naggregationMethod = average\n')

# graphite-web reads its settings from this module (GRAPHITE_SETTINGS_MODULE) in the run folder.
with open(os.path.join(run_dir, 'isd_graphite_settings.py'), 'w') as f:
    f.write(f"""SECRET_KEY = 'isd-test-only'
STORAGE_DIR = {storage!r}
CONF_DIR = {conf!r}
LOG_DIR = {os.path.join(storage, 'log', 'webapp')!r}
WHISPER_DIR = {os.path.join(storage, 'whisper')!r}
STANDARD_DIRS = [WHISPER_DIR]
CARBONLINK_HOSTS = ['127.0.0.1:{query_port}:a']
DATABASES = {{'default': {{'ENGINE': 'django.db.backends.sqlite3', 'NAME': {os.path.join(storage, 'graphite.db')!r}}}}}
TAGDB = 'graphite.tags.localdatabase.LocalDatabaseTagDB'
LOG_RENDERING_PERFORMANCE = False
LOG_CACHE_PERFORMANCE = False
""")
sys.path.insert(0, run_dir)
os.environ['GRAPHITE_SETTINGS_MODULE'] = 'isd_graphite_settings'
os.environ['DJANGO_SETTINGS_MODULE'] = 'graphite.settings'

import django  # noqa: E402
from django.core.management import call_command  # noqa: E402

django.setup()
call_command('migrate', verbosity=0, interactive=False)
from graphite.wsgi import application  # noqa: E402

carbon_cache = os.path.join(os.path.dirname(sys.executable), 'carbon-cache.py')
carbon = subprocess.Popen(
    [sys.executable, carbon_cache, '--config', os.path.join(conf, 'carbon.conf'), '--nodaemon', 'start'],
    cwd=run_dir,
)


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


server = make_server('127.0.0.1', web_port, application, server_class=ThreadingWSGIServer, handler_class=QuietHandler)


def stop(*_):
    carbon.terminate()
    threading.Thread(target=server.shutdown, daemon=True).start()


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)


def wait_for_carbon():
    deadline = time.time() + 60
    while time.time() < deadline:
        if carbon.poll() is not None:
            print(f'carbon-cache exited with {carbon.returncode}', flush=True)
            stop()
            return
        try:
            socket.create_connection(('127.0.0.1', line_port), timeout=1).close()
            print('graphite ready', flush=True)
            return
        except OSError:
            time.sleep(0.2)
    print('carbon-cache did not listen within 60 s', flush=True)
    stop()


threading.Thread(target=wait_for_carbon, daemon=True).start()
server.serve_forever()
carbon.wait()
