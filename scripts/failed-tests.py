"""Prints each failed test in the given trx files by name, with the first lines of its message."""
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}

for path in sys.argv[1:]:
    for result in ET.parse(path).getroot().iterfind(".//t:UnitTestResult", NS):
        if result.get("outcome") not in ("Failed", "Error"):
            continue
        message = result.find(".//t:Message", NS)
        lines = (message.text or "").strip().splitlines() if message is not None else []
        print(f"FAILED {result.get('testName')} ({path.rsplit('/', 2)[-2]})")
        for line in lines[:8]:
            print(f"    {line}")
