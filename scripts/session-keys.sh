# Sourced by scripts/run.sh and the bench scripts: makes an ES256 session key pair (DESIGN.md
# section 13) once, as the services load it.
#   make_session_keys <dir> <kid>
# writes <dir>/signing/<kid>.pem (the private key, mode 600: auth's JWT_PRIVATE_KEY_FILE) and
# <dir>/public/<kid>.pem (JWT_PUBLIC_KEYS_DIR=<dir>/public), and keeps what is already there.
make_session_keys() {
  local dir=$1 kid=$2
  if [ -s "$dir/signing/$kid.pem" ] && [ -s "$dir/public/$kid.pem" ]; then return 0; fi
  mkdir -p "$dir/signing" "$dir/public"
  chmod 700 "$dir/signing"
  (umask 077; openssl ecparam -name prime256v1 -genkey -noout -out "$dir/signing/$kid.pem")
  openssl ec -in "$dir/signing/$kid.pem" -pubout -out "$dir/public/$kid.pem" 2>/dev/null
}
