@echo off
rem The `dlm` command on the integrated terminal's PATH (DLM Studio adds this folder).
setlocal
if defined DLM_NODE (
  set ELECTRON_RUN_AS_NODE=1
  "%DLM_NODE%" "%~dp0dlm.js" %*
) else (
  node "%~dp0dlm.js" %*
)
