"""Generates the gRPC stubs from protos/ whenever the package is built or installed.

The stubs land in services/duta/v1/ (gitignored) so that editable installs see them too. They
are generated before `setup()` runs, so that package discovery finds `duta.v1` in a wheel
built from a clean checkout; the command hooks regenerate them for `build_py`/`develop`.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.develop import develop
from setuptools.command.editable_wheel import editable_wheel

ROOT = Path(__file__).parent.resolve()


def generate_stubs() -> None:
    """Runs grpc_tools.protoc on every .proto under protos/duta/v1."""
    from grpc_tools import protoc  # build-time dependency

    if not (ROOT / "protos").is_dir():  # an sdist without protos ships its stubs
        return
    protos = sorted(str(p.relative_to(ROOT / "protos")) for p in (ROOT / "protos").rglob("*.proto"))
    include = Path(protoc.__file__).parent / "_proto"
    import google.rpc.status_pb2 as status  # googleapis-common-protos ships google/rpc/*.proto

    googleapis = Path(status.__file__).parents[2]
    out = ROOT / "services"
    args = [
        "grpc_tools.protoc",
        f"-I{ROOT / 'protos'}",
        f"-I{include}",
        f"-I{googleapis}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed on " + ", ".join(protos))
    (out / "duta" / "v1" / "__init__.py").write_text('"""Generated gRPC stubs (do not edit)."""\n')


class BuildPy(build_py):
    def run(self) -> None:
        generate_stubs()
        super().run()


class Develop(develop):
    def run(self) -> None:
        generate_stubs()
        super().run()


class EditableWheel(editable_wheel):
    def run(self) -> None:
        generate_stubs()
        super().run()


generate_stubs()

setup(cmdclass={"build_py": BuildPy, "develop": Develop, "editable_wheel": EditableWheel})
