"""Problems: the rule catalogue, one problem at ``path:line:column``, and the reporters."""
