"""The seed: the Python hello-world service that hello-service replaces, kept as the
benchmarks' reference peer. Flask under gunicorn, three endpoints, JSON answers.

Runs the same way in its image and on the host:
    gunicorn --chdir bench/seed --bind 127.0.0.1:5000 --workers 2 app:app
    python3 bench/seed/app.py            (Flask's development server, PORT or 5000)
"""
import os
import socket
import time

from flask import Flask, jsonify

app = Flask(__name__)

VERSION = os.environ.get("APP_VERSION", "1.0.0")
ENVIRONMENT = os.environ.get("APP_ENV", "development")
STARTED = time.time()


@app.route("/")
def hello():
    return jsonify(message="Hello, World!", version=VERSION)


@app.route("/health")
def health():
    return jsonify(status="healthy")


@app.route("/info")
def info():
    return jsonify(
        name="hello-seed",
        version=VERSION,
        environment=ENVIRONMENT,
        hostname=socket.gethostname(),
        uptime_seconds=round(time.time() - STARTED, 3),
    )


if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
