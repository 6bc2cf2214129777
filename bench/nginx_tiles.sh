# Sourced by bench/peers.sh and bench/nginx_pull.sh: a private nginx serving WORK/tiles/{z}/{x}/{y}.png
# over HTTP and HTTPS (self-signed P-256 cert made now) on two free loopback ports. One worker,
# keep-alive, no access log, sendfile.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_nginx WORK: sets $port, $tls_port and $nginx_pid; WORK/cert.pem is the CA to trust.
start_nginx() {
  local work=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
  port=$(free_port)
  tls_port=$(free_port)
  while [ "$tls_port" = "$port" ]; do tls_port=$(free_port); done
  mkdir -p "$work/nginx"
  cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 60s;
  keepalive_requests 1000000;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  types { image/png png; }
  server {
    listen 127.0.0.1:$port;
    listen 127.0.0.1:$tls_port ssl;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    root $work;
    location /tiles/ { }
  }
}
NGINX
  nginx -p "$work/nginx" -c "$work/nginx.conf" -e "$work/nginx/error.log" &
  nginx_pid=$!
  for _ in $(seq 100); do
    curl -fso /dev/null "http://127.0.0.1:$port/tiles/0/0/0.png" && break
    sleep 0.05
  done
  curl -fso /dev/null --cacert "$work/cert.pem" "https://127.0.0.1:$tls_port/tiles/0/0/0.png"
}

# nginx_ticks: user+sys clock ticks of nginx's worker processes.
nginx_ticks() {
  local sum=0 pid
  for pid in $(pgrep -P "$nginx_pid"); do
    sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$sum"
}
