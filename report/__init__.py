"""The monthly report (月报): its content (``report.monthly``) and its files as PDF, Word and
Excel (``report.files``)."""
