#!/usr/bin/env bash
# Install the Debian packages the course uses offline, when running as root and they are missing:
#   dataset-fashion-mnist  the real FashionMNIST files in /usr/share/datasets/fashion-mnist/
#   chromium               the browser the JupyterLab test drives
# Without root (a student's laptop) this only says what is missing: the course still downloads
# FashionMNIST through torchvision, and the browser test is skipped outside CI.
set -euo pipefail
missing=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Optional system packages missing (not root or no apt-get): ${missing[*]}"
  exit 0
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
