"""A throwaway PKI for the TLS tests, made with the openssl command line: a root CA, an
intermediate CA that signs every leaf (so chains are real), ECDSA and RSA leaves for server and
client use, expired and not-yet-valid ones, revocation (CRL) and OCSP responses."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

CA_CONFIG = """
[ ca ]
default_ca = ca_default
[ ca_default ]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}/issued
serial = {dir}/serial
crlnumber = {dir}/crlnumber
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = copy
default_crl_days = 30
[ policy_any ]
commonName = supplied
organizationName = optional
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_server ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
[ v3_client ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
[ v3_ocsp ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
"""


def openssl(*args, cwd=None, input=None):
    r = subprocess.run(["openssl", *map(str, args)], cwd=cwd, input=input, capture_output=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(map(str, args))} failed:\n{r.stderr.decode(errors='replace')}")
    return r.stdout


@dataclasses.dataclass
class Leaf:
    name: str
    cert: Path    # the leaf followed by the intermediate (a full chain)
    key: Path
    leaf: Path    # the leaf alone
    serial: str


class Pki:
    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.root = self._make_ca("root", "bulwark test root", issuer=None)
        self.ca = self._make_ca("inter", "bulwark test intermediate", issuer=self.root)
        self.ca_bundle = self.dir / "ca-bundle.pem"   # root + intermediate, for clients
        self.ca_bundle.write_bytes(self.root["cert"].read_bytes() + self.ca["cert"].read_bytes())

    # -- CAs ---------------------------------------------------------------------------
    def _make_ca(self, name, common_name, issuer):
        d = self.dir / name
        (d / "issued").mkdir(parents=True, exist_ok=True)
        (d / "index.txt").write_text("")
        (d / "serial").write_text("1000\n")
        (d / "crlnumber").write_text("1000\n")
        conf = d / "ca.cnf"
        conf.write_text(CA_CONFIG.format(dir=d))
        key, cert = d / "ca.key", d / "ca.pem"
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)
        if issuer is None:
            openssl("req", "-new", "-x509", "-key", key, "-out", cert, "-days", "365", "-subj", f"/CN={common_name}",
                    "-config", conf, "-extensions", "v3_ca")
        else:
            csr = d / "ca.csr"
            openssl("req", "-new", "-key", key, "-out", csr, "-subj", f"/CN={common_name}", "-config", conf)
            self._sign(issuer, csr, cert, "v3_ca", days=365)
        return {"dir": d, "key": key, "cert": cert, "conf": conf}

    def _sign(self, ca, csr, out, extensions, days=30, start=None, end=None, ext_file=None):
        args = ["ca", "-batch", "-config", ca["conf"], "-cert", ca["cert"], "-keyfile", ca["key"], "-in", csr,
                "-out", out, "-extensions", extensions, "-notext"]
        if ext_file is not None:
            args += ["-extfile", ext_file]
        if start is not None:
            args += ["-startdate", start, "-enddate", end]
        else:
            args += ["-days", days]
        openssl(*args)

    # -- leaves ------------------------------------------------------------------------
    def leaf(self, name: str, dns=(), *, key="ec", client=False, subject=None, email=None, uri=None, ip=None,
             start=None, end=None, passphrase=None) -> Leaf:
        """A certificate for `name` signed by the intermediate. start/end: YYYYMMDDHHMMSSZ dates
        (for expired or future certificates). passphrase: the key is written encrypted."""
        d = self.dir / "leaves"
        d.mkdir(exist_ok=True)
        key_path, csr, leaf_path, chain = (d / f"{name}.key", d / f"{name}.csr", d / f"{name}.leaf.pem",
                                           d / f"{name}.pem")
        if key == "rsa":
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key_path)
        else:
            openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key_path)
        openssl("req", "-new", "-key", key_path, "-out", csr, "-subj", subject or f"/CN={name}/O=bulwark tests",
                "-config", self.ca["conf"])
        sans = [f"DNS:{n}" for n in dns]
        sans += [f"email:{email}"] if email else []
        sans += [f"URI:{uri}"] if uri else []
        sans += [f"IP:{ip}"] if ip else []
        section = "v3_client" if client else "v3_server"
        ext_file = None
        if sans:
            ext_file = d / f"{name}.ext"
            base = CA_CONFIG.split(f"[ {section} ]")[1].split("[")[0]
            ext_file.write_text(f"[ {section} ]{base}subjectAltName = {', '.join(sans)}\n")
        self._sign(self.ca, csr, leaf_path, section, start=start, end=end, ext_file=ext_file)
        chain.write_bytes(leaf_path.read_bytes() + self.ca["cert"].read_bytes())
        if passphrase is not None:
            encrypted = d / f"{name}.enc.key"
            openssl("pkey", "-in", key_path, "-out", encrypted, "-aes256", "-passout", f"pass:{passphrase}")
            key_path = encrypted
        serial = openssl("x509", "-in", leaf_path, "-noout", "-serial").decode().strip().split("=")[1]
        return Leaf(name, chain, key_path, leaf_path, serial)

    # -- revocation --------------------------------------------------------------------
    def revoke(self, leaf: Leaf):
        openssl("ca", "-batch", "-config", self.ca["conf"], "-cert", self.ca["cert"], "-keyfile", self.ca["key"],
                "-revoke", leaf.leaf)

    def crl(self) -> Path:
        """The intermediate's CRL and the root's, in one PEM file (the whole chain is checked)."""
        out = self.dir / "crl.pem"
        parts = []
        for ca in (self.ca, self.root):
            path = ca["dir"] / "crl.pem"
            openssl("ca", "-batch", "-config", ca["conf"], "-cert", ca["cert"], "-keyfile", ca["key"], "-gencrl",
                    "-out", path)
            parts.append(path.read_bytes())
        out.write_bytes(b"".join(parts))
        return out

    def ocsp_response(self, leaf: Leaf, out: Path | None = None) -> Path:
        """A DER OCSP response for `leaf`, signed by the intermediate itself."""
        out = out or self.dir / f"{leaf.name}.ocsp.der"
        openssl("ocsp", "-index", self.ca["dir"] / "index.txt", "-rsigner", self.ca["cert"], "-rkey",
                self.ca["key"], "-CA", self.ca["cert"], "-issuer", self.ca["cert"], "-cert", leaf.leaf,
                "-respout", out, "-ndays", "1")
        return out
