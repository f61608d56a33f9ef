#!/usr/bin/env bash
# Install the Debian packages the course uses offline, when running as root and they are missing:
#   dataset-fashion-mnist  the real FashionMNIST files in /usr/share/datasets/fashion-mnist/
#   chromium               the browser the JupyterLab and course-website tests drive
#   nodejs, npm            install and bundle the website's pinned JavaScript (site_src/package-lock.json)
# Without root (a student's laptop) this only says what is missing: the course still downloads
# FashionMNIST through torchvision, and the browser test is skipped outside CI.
# Each package is installed on its own, so a failure of one is reported and the other still gets
# installed; neither failure stops `make data`: course_lib.data then tries the download (and fails
# with its three remedies if that fails too), and under CI the browser test fails without chromium.
set -euo pipefail
missing=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Optional system packages missing (not root or no apt-get): ${missing[*]}"
  exit 0
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || echo "WARNING: apt-get update failed; trying the installs with the current package lists" >&2
failed=()
for package in "${missing[@]}"; do
  apt-get install -y -qq --no-install-recommends "$package" >/dev/null || failed+=("$package")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "WARNING: could not install: ${failed[*]} (see apt-get's message above)." >&2
  case " ${failed[*]} " in *" dataset-fashion-mnist "*)
    echo "  dataset-fashion-mnist: course_lib.data will try to download FashionMNIST instead." >&2 ;;
  esac
  case " ${failed[*]} " in *" chromium "*)
    echo "  chromium: the browser test is skipped outside CI and fails under CI." >&2 ;;
  esac
  case " ${failed[*]} " in *" npm "*|*" nodejs "*)
    echo "  nodejs/npm: make site and the website tests cannot bundle the site's JavaScript." >&2 ;;
  esac
fi
exit 0
