#!/bin/sh
# Re-creates the password file fixtures with the real tools (Debian: apt-get install mosquitto
# apache2-utils). Run here; the results are committed, so the tests need neither tool.
# Made with mosquitto 2.0.11 (Debian 12) and htpasswd from apache2-utils 2.4.71 (Debian 12).
# The passwords are listed in auth/PasswordFileAuthenticatorTest.java.
set -eu
long=$(printf 'x%.0s' $(seq 1 72))   # 72 bytes: the most bcrypt reads
rm -f mosquitto.passwd htpasswd htpasswd-md5
mosquitto_passwd -c -b mosquitto.passwd alice 'alice-secret'                       # $7$ (PBKDF2-SHA512)
mosquitto_passwd -b mosquitto.passwd bob 'b0b: with colon & spaces'                 # $7$
mosquitto_passwd -H sha512 -b mosquitto.passwd carol 'carol-pässwörd'             # $6$ (mosquitto 1.x)
htpasswd -c -b -B htpasswd dave 'dave-secret'                                      # $2y$, cost 5
htpasswd -b -B -C 10 htpasswd erin "${long}-beyond-72-bytes"                       # $2y$, cost 10
htpasswd -c -b -m htpasswd-md5 frank 'frank-secret'                                # $apr1$: not supported
